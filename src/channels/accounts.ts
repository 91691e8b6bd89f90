import { createSecretKey, type KeyObject } from 'node:crypto';
import type { Database, SqlRunner } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { Vault } from '../vault/vault.ts';
import {
  type ChannelPatch,
  type ChannelState,
  channelSealContext,
  isEnabled,
  planChannelUpdate,
  secretKey,
} from './channel-config.ts';
import { AdapterRegistry } from './registry.ts';
import {
  CHANNEL_CONFIG_NOTIFY,
  ensureChannelConfigRow,
  loadChannelState,
  writeChannelPlan,
} from './store.ts';
import { CHANNELS, type ChannelAccount, type ChannelName } from './types.ts';

export type ChannelAccountsOptions = {
  database: Database;
  vault: Vault;
  logger: Logger;
  registry?: AdapterRegistry;
  /** Backstop age of a cache entry; NOTIFY normally drops it long before. */
  maxAgeMs?: number;
  /** Most agents kept; the oldest entry goes first. */
  maxEntries?: number;
};

type Entry = { state: Promise<ChannelState | undefined>; loadedAt: number };

/** HMAC keys built from one cached state, by channel|field; they go when the state leaves the cache. */
const hmacKeys = new WeakMap<ChannelState, Map<string, Promise<KeyObject | undefined>>>();

/**
 * The single reader and writer of channel configurations, with an in-process cache for the webhook hot path.
 * Every change (from any process: the config tables' triggers NOTIFY in the writing transaction) drops the
 * agent's entry here; a lost LISTEN connection drops everything. Entries hold settings and *sealed* secrets only:
 * `account.secret(field)` decrypts on each use and nothing keeps the plaintext.
 */
export class ChannelAccounts {
  readonly registry: AdapterRegistry;
  private readonly database: Database;
  private readonly vault: Vault;
  private readonly logger: Logger;
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;
  private readonly cache = new Map<string, Entry>();
  private readonly changeListeners = new Set<(agentId?: string) => void>();
  private unlisten?: () => Promise<void>;

  constructor(options: ChannelAccountsOptions) {
    this.database = options.database;
    this.vault = options.vault;
    this.logger = options.logger;
    this.registry = options.registry ?? new AdapterRegistry();
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** Subscribes to change notifications; call before serving. */
  async start(): Promise<void> {
    if (this.unlisten) return;
    this.unlisten = await this.database.listen(
      CHANNEL_CONFIG_NOTIFY,
      (agentId) => {
        this.invalidate(agentId);
        this.notifyChange(agentId);
      },
      {
        onReconnect: () => {
          this.logger.warn('channel config LISTEN connection re-established; cache flushed');
          this.cache.clear();
          this.notifyChange();
        },
      },
    );
  }

  /**
   * Calls `listener` after each change notification with the agent id, or without one when changes may have been
   * missed (the LISTEN connection was re-established). Returns the unsubscribe function.
   */
  onChange(listener: (agentId?: string) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private notifyChange(agentId?: string): void {
    for (const listener of this.changeListeners) listener(agentId);
  }

  async close(): Promise<void> {
    await this.unlisten?.();
    this.unlisten = undefined;
    this.cache.clear();
  }

  /** Drops one agent (or, without an id, every agent) from this process's cache. */
  invalidate(agentId?: string): void {
    if (agentId === undefined) this.cache.clear();
    else this.cache.delete(agentId);
  }

  /**
   * The agent's account on a channel: settings plus on-demand secret decryption. Null when the agent does not
   * exist or the channel has no provider configured (website always has one). Check `enabled` before use.
   */
  async resolve(agentId: string, channel: ChannelName): Promise<ChannelAccount | null> {
    const state = await this.cachedState(agentId);
    if (!state) return null;
    const stored = state.channels[channel];
    const provider = stored?.provider ?? (channel === 'website' ? 'website' : undefined);
    if (!provider) return null;
    const vault = this.vault;
    const secret = async (field: string) => {
      const sealed = state.secrets.get(secretKey(channel, field));
      return sealed === undefined
        ? undefined
        : vault.open(sealed, channelSealContext(agentId, channel, field));
    };
    return {
      agentId,
      channel,
      provider,
      enabled: isEnabled(channel, stored),
      settings: structuredClone(stored?.settings ?? {}),
      secret,
      hmacKey(field) {
        let keys = hmacKeys.get(state);
        if (!keys) hmacKeys.set(state, (keys = new Map()));
        const id = secretKey(channel, field);
        let key = keys.get(id);
        if (!key) {
          key = secret(field).then((value) => (value ? createSecretKey(value, 'utf8') : undefined));
          key.catch(() => keys.delete(id));
          keys.set(id, key);
        }
        return key;
      },
    };
  }

  /** The channels an agent has switched on, in the spec's order. */
  async enabledChannels(agentId: string): Promise<ChannelName[]> {
    const state = await this.read(agentId);
    return state ? CHANNELS.filter((channel) => isEnabled(channel, state.channels[channel])) : [];
  }

  /** The stored state, read fresh from the database (configuration routes). */
  read(agentId: string): Promise<ChannelState | undefined> {
    return loadChannelState(this.database.query, agentId);
  }

  /** Applies a PUT body in one transaction, serialised per agent by a row lock; throws ApiError 400s. */
  async update(
    agent: { id: string; organizationId: string; projectId: string },
    body: ChannelPatch,
    /** Writes the configuration's agent-wide settings (contact_linking…) in the same transaction. */
    writeAgentSettings?: (query: SqlRunner) => Promise<void>,
  ): Promise<void> {
    await this.database.transaction(async (query) => {
      await ensureChannelConfigRow(query, agent);
      const state = await loadChannelState(query, agent.id, { forUpdate: true });
      if (!state) throw new Error(`agent ${agent.id} vanished during a channel update`);
      const plan = planChannelUpdate(this.registry, this.vault, agent.id, state, body);
      await writeChannelPlan(query, agent, plan);
      await writeAgentSettings?.(query);
    });
    // Our own NOTIFY arrives shortly; drop the entry now so this process never serves the old config.
    this.invalidate(agent.id);
  }

  private cachedState(agentId: string): Promise<ChannelState | undefined> {
    const now = Date.now();
    const hit = this.cache.get(agentId);
    if (hit && now - hit.loadedAt < this.maxAgeMs) return hit.state;
    // The entry is in the map before the query runs, so a NOTIFY that arrives meanwhile deletes it: the next
    // call reloads rather than keeping a result read before the change committed.
    const entry: Entry = { state: this.read(agentId), loadedAt: now };
    this.cache.delete(agentId);
    this.cache.set(agentId, entry);
    entry.state.catch(() => {
      if (this.cache.get(agentId) === entry) this.cache.delete(agentId);
    });
    if (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return entry.state;
  }
}
