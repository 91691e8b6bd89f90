import { createSecretKey, type KeyObject } from 'node:crypto';
import type { ChannelAccounts } from '../channels/accounts.ts';
import { adapterContext } from '../channels/adapter-context.ts';
import { loopbackAdapter } from '../channels/loopback/adapter.ts';
import { isSandboxChannel, isSandboxUser } from '../channels/sandbox/identity.ts';
import type { SandboxOutbox } from '../channels/sandbox/outbox.ts';
import { type ChannelAccount, CHANNELS, type ChannelName } from '../channels/types.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { Sender, SenderLookup } from './senders.ts';

/** Agent ids known to exist (bounded), so the loopback hot path skips a query per webhook. */
const KNOWN_AGENTS_MAX = 10_000;

export type SenderLookupDeps = {
  config: Config;
  database: Database;
  logger: Logger;
  channelAccounts: ChannelAccounts;
  fetch?: typeof fetch;
  /** Where the sandbox provider keeps what it renders; without it sandbox sends fail (retryable). */
  sandboxOutbox?: SandboxOutbox;
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
  const sandboxSender = async (agentId: string, channel: ChannelName) => {
    // Renders like the real provider there; copies only the non-secret settings its schema names.
    const real = await channelAccounts.resolve(agentId, channel);
    const adapter = channelAccounts.registry.sandbox(channel, real?.provider);
    if (!adapter) return null;
    const picked = adapter.configSchema.safeParse(real?.settings ?? {});
    const account: ChannelAccount = {
      agentId,
      channel,
      provider: adapter.provider,
      enabled: true,
      settings: picked.success ? (picked.data as Record<string, unknown>) : {},
      secret: async () => undefined,
    };
    const ctx = adapterContext(deps, account);
    return { adapter, ctx: deps.sandboxOutbox ? { ...ctx, sandboxOutbox: deps.sandboxOutbox } : ctx };
  };
  // The loopback sender of each known agent, built once: its account comes from the environment alone.
  const loopbackSenders = new Map<string, Sender>();
  return async (agentId, channel, recipient) => {
    if (isSandboxUser(recipient) && isSandboxChannel(channel)) return sandboxSender(agentId, channel);
    const { LOOPBACK_CHANNEL_URL: url, LOOPBACK_CHANNEL_SECRET: secret } = config;
    if (channel === 'loopback' && url && secret && (await agentExists(agentId))) {
      const known = loopbackSenders.get(agentId);
      if (known) return known;
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
      const sender = { adapter: loopbackAdapter, ctx: adapterContext(deps, account) };
      if (loopbackSenders.size >= KNOWN_AGENTS_MAX) loopbackSenders.clear();
      loopbackSenders.set(agentId, sender);
      return sender;
    }
    if (!(CHANNELS as readonly string[]).includes(channel)) return null;
    const account = await channelAccounts.resolve(agentId, channel as ChannelName);
    const adapter = account && channelAccounts.registry.get(account.channel, account.provider);
    if (!account || !adapter) return null;
    return { adapter, ctx: adapterContext(deps, account) };
  };
}
