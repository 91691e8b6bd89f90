import { createSecretKey, type KeyObject } from 'node:crypto';
import type { ChannelAccounts } from '../channels/accounts.ts';
import { adapterContext } from '../channels/adapter-context.ts';
import { loopbackAdapter } from '../channels/loopback/adapter.ts';
import { type ChannelAccount, CHANNELS, type ChannelName } from '../channels/types.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { SenderLookup } from './senders.ts';

/** Agent ids known to exist (bounded), so the loopback hot path skips a query per webhook. */
const KNOWN_AGENTS_MAX = 10_000;

export type SenderLookupDeps = {
  config: Config;
  database: Database;
  logger: Logger;
  channelAccounts: ChannelAccounts;
  fetch?: typeof fetch;
};

/** Finds the adapter and context for an agent's channel: the configured provider's adapter, or the loopback. */
export function createSenderLookup(deps: SenderLookupDeps): SenderLookup {
  const { config, database, channelAccounts } = deps;
  const knownAgents = new Set<string>();
  // Built once: the loopback secret comes from the environment and never changes while running.
  let loopbackKey: KeyObject | undefined;
  const agentExists = async (agentId: string) => {
    if (knownAgents.has(agentId)) return true;
    const rows = await database.query('select 1 from agents where id = $1', [agentId]);
    if (rows.length === 0) return false;
    if (knownAgents.size >= KNOWN_AGENTS_MAX) knownAgents.clear();
    knownAgents.add(agentId);
    return true;
  };
  return async (agentId, channel) => {
    const { LOOPBACK_CHANNEL_URL: url, LOOPBACK_CHANNEL_SECRET: secret } = config;
    if (channel === 'loopback' && url && secret && (await agentExists(agentId))) {
      const account: ChannelAccount = {
        agentId,
        channel: 'website',
        provider: 'loopback',
        enabled: true,
        settings: { url },
        secret: async (field) => (field === 'secret' ? secret : undefined),
        hmacKey: async (field) =>
          field === 'secret' ? (loopbackKey ??= createSecretKey(secret, 'utf8')) : undefined,
      };
      return { adapter: loopbackAdapter, ctx: adapterContext(deps, account) };
    }
    if (!(CHANNELS as readonly string[]).includes(channel)) return null;
    const account = await channelAccounts.resolve(agentId, channel as ChannelName);
    const adapter = account && channelAccounts.registry.get(account.channel, account.provider);
    if (!account || !adapter) return null;
    return { adapter, ctx: adapterContext(deps, account) };
  };
}
