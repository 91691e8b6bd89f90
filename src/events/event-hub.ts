import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { eventStreams } from '../metrics/metrics.ts';
import { AGENT_EVENTS_CHANNEL, WEBHOOKS_DUE } from './publish.ts';

export type EventHubLimits = {
  /** Live subscribers of one agent in this process. */
  perAgent: number;
  /** Live subscribers in this process. */
  total: number;
};

/** Thrown when a subscriber would exceed EventHubLimits. */
export class TooManySubscribersError extends Error {}
/** Thrown to a subscriber when the process is shutting down. */
export class HubClosedError extends Error {}

type Wake = () => void;

/** How long a watch lease lasts (database clock), and how often a process renews its agents' leases. */
export type WatchLease = { leaseS: number; renewMs: number };
const DEFAULT_LEASE: WatchLease = { leaseS: 60, renewMs: 20_000 };
/**
 * A new subscriber reads the log again this long after subscribing: a statement that began before its lease was
 * committed sends no NOTIFY, yet may commit after the first read. (The stream's heartbeat re-reads too.)
 */
const SETTLE_MS = 1000;

/** Leases for the agents given (each that still exists); an unexpired lease is only extended past 2/3 of its life. */
const WATCH_SQL = `insert into event_watchers (agent_id, until)
  select agents.id, now() + make_interval(secs => $2) from agents where agents.id = any($1::text[])
  on conflict (agent_id) do update set until = excluded.until
  where event_watchers.until < now() + make_interval(secs => $2 * 2 / 3)`;

/**
 * One LISTEN per process on the agent_events channel, fanned out to this process's subscribers by agent id.
 * A notification only says "look again": each subscriber re-reads the log from its own last id, so an event
 * committed between a read and the next notification is never missed. After the LISTEN connection was lost
 * and restored, every subscriber is woken (notifications in between are lost, the log is not). Writers NOTIFY only
 * for agents with a watch lease (`event_watchers`): the hub holds one for each agent it has subscribers of.
 */
export class EventHub {
  private readonly byAgent = new Map<string, Set<Wake>>();
  private readonly anyListeners = new Set<Wake>();
  private count = 0;
  private unlisten?: () => Promise<void>;
  private starting?: Promise<void>;
  private stopped = false;
  private renewal?: NodeJS.Timeout;

  private readonly database: Database;
  private readonly logger: Logger;
  readonly limits: EventHubLimits;
  private readonly lease: WatchLease;

  constructor(database: Database, logger: Logger, limits: EventHubLimits, lease = DEFAULT_LEASE) {
    this.database = database;
    this.logger = logger;
    this.limits = limits;
    this.lease = lease;
  }

  /** Starts the LISTEN (idempotent). */
  start(): Promise<void> {
    this.starting ??= this.database
      .listen(AGENT_EVENTS_CHANNEL, (payload) => this.notified(payload), {
        onReconnect: () => {
          this.logger.info('event listener reconnected; subscribers re-read the log');
          this.wakeAll();
        },
      })
      .then((unlisten) => {
        if (this.stopped) return void unlisten();
        this.unlisten = unlisten;
      });
    return this.starting;
  }

  /** Registers a subscriber of one agent's events; the returned function removes it. */
  async subscribe(agentId: string, wake: Wake): Promise<() => void> {
    if (this.stopped) throw new HubClosedError('This server is shutting down; reconnect');
    if (this.count >= this.limits.total)
      throw new TooManySubscribersError('Too many event streams on this server');
    const set = this.byAgent.get(agentId) ?? new Set<Wake>();
    if (set.size >= this.limits.perAgent)
      throw new TooManySubscribersError('Too many event streams for this agent');
    set.add(wake);
    this.byAgent.set(agentId, set);
    this.count++;
    eventStreams.inc();
    let removed = false;
    const remove = () => {
      if (removed) return;
      removed = true;
      set.delete(wake);
      this.count--;
      eventStreams.dec();
      if (set.size === 0 && this.byAgent.get(agentId) === set) this.byAgent.delete(agentId);
    };
    try {
      await this.start();
      // Listening first, then the lease: every event committed after the lease wakes this subscriber.
      await this.watch([agentId]);
    } catch (error) {
      remove();
      throw error;
    }
    const settle = setTimeout(wake, SETTLE_MS).unref();
    this.renewal ??= setInterval(() => void this.renew(), this.lease.renewMs).unref();
    return () => {
      clearTimeout(settle);
      remove();
    };
  }

  private async watch(agentIds: string[]): Promise<void> {
    await this.database.query(WATCH_SQL, [agentIds, this.lease.leaseS]);
  }

  /** Renews the leases of the agents with subscribers here (one statement). */
  private async renew(): Promise<void> {
    const agentIds = [...this.byAgent.keys()];
    if (agentIds.length === 0 || this.stopped) return;
    await this.watch(agentIds).catch((error: unknown) =>
      this.logger.warn({ err: error }, 'event watch leases could not be renewed'),
    );
  }

  /**
   * Runs `wake` when a commit created event webhook deliveries (the webhook sender), and after the LISTEN was
   * restored. Other notifications do not wake it: it would poll once per event under load.
   */
  onWebhooksDue(wake: Wake): () => void {
    this.anyListeners.add(wake);
    return () => this.anyListeners.delete(wake);
  }

  /** True once stop() was called: open streams end. */
  get closed(): boolean {
    return this.stopped;
  }

  /** Live subscribers in this process (per agent when given). */
  subscribers(agentId?: string): number {
    return agentId === undefined ? this.count : (this.byAgent.get(agentId)?.size ?? 0);
  }

  private notified(payload: string): void {
    const webhooks = payload.endsWith(WEBHOOKS_DUE);
    const agentId = webhooks ? payload.slice(0, -WEBHOOKS_DUE.length) : payload;
    for (const wake of this.byAgent.get(agentId) ?? []) wake();
    if (webhooks) for (const wake of this.anyListeners) wake();
  }

  private wakeAll(): void {
    for (const set of this.byAgent.values()) for (const wake of set) wake();
    for (const wake of this.anyListeners) wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewal);
    await this.starting?.catch(() => {});
    await this.unlisten?.();
    this.unlisten = undefined;
    this.wakeAll();
  }
}
