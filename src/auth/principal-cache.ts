import { hash } from 'node:crypto';
import type { Principal } from '../http/env.ts';
import { FencedTtlCache, perHandle } from '../cache/fenced-ttl-cache.ts';

/**
 * How long a resolved bearer token is trusted without asking the database again. A revocation, a logout-all or
 * a password change in ANY process therefore takes effect within this time; in this process at once (see
 * `clear`).
 */
export const PRINCIPAL_TTL_MS = 1000;
/** Most tokens remembered; the oldest goes first. */
const MAX_ENTRIES = 10_000;

/**
 * Bearer token → principal (or "invalid"), for one second. Keys are SHA-256 digests, so the cache never holds a
 * usable token; entries never outlive the token's own expiry.
 */
export class PrincipalCache {
  private readonly cache: FencedTtlCache<Principal | undefined>;

  constructor(ttlMs = PRINCIPAL_TTL_MS) {
    this.cache = new FencedTtlCache(ttlMs, MAX_ENTRIES);
  }

  /** The cached answer for `token`, `miss` when there is none fresh. */
  get(token: string, now = Date.now()): Principal | undefined | 'miss' {
    const entry = this.cache.get(digest(token), now);
    return entry ? entry.value : 'miss';
  }

  /**
   * The answer for `token`: cached, else `resolve` — once for all concurrent callers (see FencedTtlCache.load). An
   * invalid token is remembered as invalid too; `expiresAt` (ms) bounds an entry to the token's own lifetime.
   */
  load(
    token: string,
    now: number,
    resolve: () => Promise<{ principal: Principal | undefined; expiresAt?: number }>,
  ): Promise<Principal | undefined> {
    return this.cache.load(digest(token), now, async () => {
      const { principal, expiresAt } = await resolve();
      return { value: principal, remember: true, ...(expiresAt !== undefined ? { expiresAt } : {}) };
    });
  }

  /** Forgets everything (a token was revoked, or sessions invalidated, in this process). */
  clear(): void {
    this.cache.clear();
  }
}

const digest = (token: string) => hash('sha256', token, 'base64url'); // one-shot: half of createHash's cost

/** The process's token cache (per database handle): authentication reads it, revocation clears it. */
export const principalCacheFor = perHandle(() => new PrincipalCache());
