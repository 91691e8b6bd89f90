import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { ChannelAccounts } from '../channels/accounts.ts';
import { isEnabled, secretKey } from '../channels/channel-config.ts';
import { type ImapSettings, imapSettings } from '../channels/email/imap-config.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { Engine } from '../engine/engine.ts';
import type { RawMailInput } from '../engine/mail-ingest.ts';
import type { Logger } from '../logger.ts';
import { DEFAULT_POLLER_TIMINGS, ImapPoller, type PollerTimings } from './imap-poller.ts';
import { ImapMailboxStore } from './imap-store.ts';
import type { SyncLimits } from './imap-sync.ts';

export type ImapPollersOptions = {
  database: Database;
  channelAccounts: ChannelAccounts;
  /** The durable raw-mail ingest (engine.ingestRawMail). */
  ingest(input: RawMailInput): Promise<unknown>;
  logger: Logger;
  limits: SyncLimits;
  timings?: Partial<PollerTimings>;
};

const PASSWORD = 'imap_config.password';

type Running = { fingerprint: string; poller: ImapPoller };

/**
 * One IMAP poller per agent whose email channel is enabled with an imap_config, in this process. Every process
 * runs one; the per-mailbox lease decides which of them actually polls. Channel config changes (NOTIFY, any
 * process) start, restart (settings or password changed) or stop that agent's poller.
 */
export class ImapPollers {
  /** This process's lease holder id: host, pid and a random part (a restarted pid is a new holder). */
  readonly holder = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly options: ImapPollersOptions;
  private readonly timings: PollerTimings;
  private readonly running = new Map<string, Running>();
  /** Per-agent chain, so two changes to one agent reconcile in order. */
  private readonly chains = new Map<string, Promise<void>>();
  private unsubscribe?: () => void;
  private stopped = false;

  constructor(options: ImapPollersOptions) {
    this.options = options;
    this.timings = { ...DEFAULT_POLLER_TIMINGS, ...options.timings };
  }

  /** Starts a poller for every configured mailbox and follows config changes. */
  async start(): Promise<void> {
    this.unsubscribe = this.options.channelAccounts.onChange((agentId) => {
      void (agentId === undefined ? this.syncAll() : this.sync(agentId));
    });
    await this.syncAll();
  }

  /** Stops every poller (each closes its connection and releases its lease). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await Promise.all(this.chains.values());
    await Promise.all([...this.running.values()].map(({ poller }) => poller.stop()));
    this.running.clear();
  }

  /** Agents with a poller in this process (holding the lease or waiting for it). */
  agents(): string[] {
    return [...this.running.keys()];
  }

  private async syncAll(): Promise<void> {
    try {
      const rows = await this.options.database.query<{ agent_id: string }>(
        `select agent_id from channel_configs where channels->'email'->'settings'->'imap_config' is not null`,
      );
      const agents = new Set([...rows.map((row) => row.agent_id), ...this.running.keys()]);
      await Promise.all([...agents].map((agentId) => this.sync(agentId)));
    } catch (error) {
      this.options.logger.error({ err: error }, 'IMAP pollers could not list the configured mailboxes');
    }
  }

  private sync(agentId: string): Promise<void> {
    const previous = this.chains.get(agentId) ?? Promise.resolve();
    const next = previous
      .then(() => this.reconcile(agentId))
      .catch((error) => this.options.logger.error({ err: error, agentId }, 'IMAP poller reconcile failed'))
      .finally(() => {
        if (this.chains.get(agentId) === next) this.chains.delete(agentId);
      });
    this.chains.set(agentId, next);
    return next;
  }

  private async reconcile(agentId: string): Promise<void> {
    const state = await this.options.channelAccounts.read(agentId);
    const email = state?.channels.email;
    const parsed = imapSettings.safeParse(email?.settings.imap_config);
    const sealed = state?.secrets.get(secretKey('email', PASSWORD));
    const wanted = !this.stopped && isEnabled('email', email) && parsed.success && sealed !== undefined;
    // The sealed password changes whenever the password does, without decrypting it here.
    const fingerprint = wanted ? JSON.stringify([parsed.data, sealed]) : undefined;
    const current = this.running.get(agentId);
    if (current?.fingerprint === fingerprint) return;
    if (current) {
      this.running.delete(agentId);
      await current.poller.stop();
    }
    if (!fingerprint || !parsed.success) return;
    const poller = this.pollerFor(agentId, parsed.data);
    this.running.set(agentId, { fingerprint, poller });
    poller.start();
  }

  private pollerFor(agentId: string, config: ImapSettings): ImapPoller {
    const { channelAccounts, database, logger, limits, ingest } = this.options;
    return new ImapPoller({
      config,
      password: async () => (await channelAccounts.resolve(agentId, 'email'))?.secret(PASSWORD),
      store: new ImapMailboxStore(database.query, agentId, this.holder),
      ingest: (raw, receivedAt) =>
        ingest({ agentId, raw, source: 'imap', ...(receivedAt ? { receivedAt } : {}) }),
      logger,
      limits,
      timings: this.timings,
    });
  }
}

/** Limits and timings from the environment (EMAIL_MAX_BYTES, IMAP_*). */
export function imapOptionsFrom(config: Config): Pick<ImapPollersOptions, 'limits' | 'timings'> {
  return {
    limits: { maxMessageBytes: config.EMAIL_MAX_BYTES, batchSize: config.IMAP_BATCH_SIZE },
    timings: {
      leaseTtlMs: config.IMAP_LEASE_TTL_MS,
      leaseRetryMs: Math.min(DEFAULT_POLLER_TIMINGS.leaseRetryMs, config.IMAP_LEASE_TTL_MS / 3),
      reconnectMaxMs: config.IMAP_RECONNECT_MAX_MS,
    },
  };
}

/**
 * Starts the IMAP pollers that feed `engine` and returns the engine with a `stop` that stops them first (they run
 * exactly as long as the engine does).
 */
export async function withImapPollers(
  engine: Engine,
  options: Omit<ImapPollersOptions, 'ingest'>,
): Promise<Engine> {
  const pollers = new ImapPollers({ ...options, ingest: engine.ingestRawMail });
  await pollers.start();
  return {
    ...engine,
    stop: async () => {
      await pollers.stop();
      await engine.stop();
    },
  };
}
