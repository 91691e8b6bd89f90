import type { MiddlewareHandler } from 'hono';
import type { EmbeddedDurability } from '../db/embedded-durability.ts';
import type { AppEnv } from './env.ts';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The embedded database with WAL sync: an API call that may have written (any method but GET, HEAD, OPTIONS) is
 * answered only once the WAL is on disk, so what a caller was told is stored survives a power loss. A streamed
 * answer (chat) is covered up to what was committed when its response started.
 */
export function syncWrites(durability: EmbeddedDurability): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (!READS.has(c.req.method)) await durability.syncWal();
  };
}
