import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { apiRootsFrom } from './api-roots.ts';
import type { AdapterContext, ChannelAccount } from './types.ts';

/** The I/O an adapter gets for one account: HTTP client, clock, a logger naming the account, base URLs. */
export function adapterContext(
  deps: { config: Config; logger: Logger; fetch?: typeof fetch },
  account: ChannelAccount,
): AdapterContext {
  return {
    account,
    fetch: deps.fetch ?? fetch,
    now: Date.now,
    logger: deps.logger.child({
      agent: account.agentId,
      channel: account.channel,
      provider: account.provider,
    }),
    apiRoots: apiRootsFrom(deps.config),
    ...(deps.config.PUBLIC_URL ? { publicUrl: deps.config.PUBLIC_URL } : {}),
  };
}
