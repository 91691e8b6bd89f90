import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import { claimNonce, releaseNonce } from '../db/webhook-nonces.ts';
import type { Logger } from '../logger.ts';
import { createPublicFetch } from '../net/outbound-guard.ts';
import { apiRootsFrom } from './api-roots.ts';
import type { AdapterContext, ChannelAccount } from './types.ts';

const publicFetches = new Map<boolean, typeof fetch>();

/** The process-wide guarded fetch for one OUTBOUND_ALLOW_PRIVATE setting (its connection pool is shared). */
export function publicFetchFor(config: Pick<Config, 'OUTBOUND_ALLOW_PRIVATE'>): typeof fetch {
  const allowPrivate = config.OUTBOUND_ALLOW_PRIVATE;
  let guarded = publicFetches.get(allowPrivate);
  if (!guarded) {
    guarded = createPublicFetch({ allowPrivate });
    publicFetches.set(allowPrivate, guarded);
  }
  return guarded;
}

/** The I/O an adapter gets for one account: HTTP clients, clock, a logger naming the account, base URLs. */
export function adapterContext(
  deps: {
    config: Config;
    logger: Logger;
    fetch?: typeof fetch;
    fetchPublic?: typeof fetch;
    /** Enables `claimOnce` (webhook replay defence shared by every process). */
    database?: Pick<Database, 'query'>;
  },
  account: ChannelAccount,
): AdapterContext {
  const { database } = deps;
  let logger: Logger | undefined;
  return {
    account,
    fetch: deps.fetch ?? fetch,
    fetchPublic: deps.fetchPublic ?? publicFetchFor(deps.config),
    now: Date.now,
    // Built on first use: most webhooks never log, and a child logger per request showed in the ingest profile.
    get logger() {
      logger ??= deps.logger.child({
        agent: account.agentId,
        channel: account.channel,
        provider: account.provider,
      });
      return logger;
    },
    apiRoots: apiRootsFrom(deps.config),
    snsTrustedHosts: deps.config.AWS_SNS_TRUSTED_HOSTS,
    ...(deps.config.PUBLIC_URL ? { publicUrl: deps.config.PUBLIC_URL } : {}),
    ...(deps.config.EMAIL_TLS_CA_FILE ? { tlsCaFile: deps.config.EMAIL_TLS_CA_FILE } : {}),
    ...(database
      ? {
          claimOnce: (key: string, ttlMs: number) =>
            claimNonce(database.query, {
              agentId: account.agentId,
              scope: account.provider,
              nonce: key,
              ttlMs,
            }),
          releaseClaim: (key: string) =>
            releaseNonce(database.query, { agentId: account.agentId, scope: account.provider, nonce: key }),
        }
      : {}),
  };
}
