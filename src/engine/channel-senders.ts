import { loopbackAdapter } from '../channels/loopback/adapter.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { SenderLookup } from './senders.ts';

/** Agent ids known to exist (bounded), so the loopback hot path skips a query per webhook. */
const KNOWN_AGENTS_MAX = 10_000;

/** Finds the adapter and context for an agent's channel. Real channels resolve through the channel config. */
export function createSenderLookup(config: Config, database: Database, logger: Logger): SenderLookup {
  const knownAgents = new Set<string>();
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
      return {
        adapter: loopbackAdapter,
        ctx: {
          account: {
            agentId,
            channel: 'website',
            provider: 'loopback',
            enabled: true,
            settings: { url },
            secret: async (field) => (field === 'secret' ? secret : undefined),
          },
          fetch,
          now: Date.now,
          logger,
          ...(config.PUBLIC_URL ? { publicUrl: config.PUBLIC_URL } : {}),
        },
      };
    }
    return null;
  };
}
