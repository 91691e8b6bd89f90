import type { ImapFlow } from 'imapflow';
import type { ImapSettings } from '../channels/email/imap-config.ts';
import type { Logger } from '../logger.ts';
import { imapClient, mailboxKey, safeImapError } from '../channels/email/imap-client.ts';
import type { ImapCursor, ImapMailboxStore } from './imap-store.ts';
import { IngestFailedError, LeaseLostError, type SyncLimits, syncMailbox } from './imap-sync.ts';

/** Timings of a poller; tests shorten them. */
export type PollerTimings = {
  /** Lease lifetime; the holder renews it every third of this. A crashed holder's mailbox is free after it. */
  leaseTtlMs: number;
  /** How often a process that does not hold the mailbox tries to take it. */
  leaseRetryMs: number;
  /** First reconnect delay; doubles per failure up to `reconnectMaxMs`, each with ±50 % jitter. */
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /**
   * Wait after the server refused the login (±50 % jitter below it), whatever the backoff reached: retrying a
   * wrong password every few seconds locks accounts (Microsoft Entra smart lockout after 10 failures, Gmail's
   * "too many login failures"). A changed password restarts the poller at once anyway.
   */
  authRetryMs: number;
  /** Re-checks the mailbox this often even when IDLE reports nothing. */
  pollIntervalMs: number;
};

export const DEFAULT_POLLER_TIMINGS: PollerTimings = {
  leaseTtlMs: 30_000,
  leaseRetryMs: 10_000,
  reconnectBaseMs: 1_000,
  reconnectMaxMs: 5 * 60_000,
  authRetryMs: 15 * 60_000,
  pollIntervalMs: 5 * 60_000,
};

export type ImapPollerOptions = {
  config: ImapSettings;
  /** Decrypts the password when connecting; never kept. */
  password(): Promise<string | undefined>;
  store: ImapMailboxStore;
  ingest(raw: Buffer, receivedAt: Date | undefined): Promise<unknown>;
  logger: Logger;
  limits: SyncLimits;
  timings: PollerTimings;
};

/** Full-jitter exponential backoff: attempt 0 waits about `base`, capped at `max`. */
export function backoffDelay(attempt: number, base: number, max: number, random = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/** True when the server refused the credentials (a tagged NO/BAD to LOGIN or AUTHENTICATE), not a transient failure. */
export function isLoginRefused(error: unknown): boolean {
  const err = (error ?? {}) as { authenticationFailed?: boolean; serverResponseCode?: string };
  // RFC 5530 UNAVAILABLE: "temporary failure because a subsystem is down" (Gmail's "Temporary System Problem").
  return err.authenticationFailed === true && err.serverResponseCode?.toUpperCase() !== 'UNAVAILABLE';
}

/** How long to wait before reconnecting after `error` on the `attempt`-th failure in a row. */
export function reconnectDelay(
  error: unknown,
  attempt: number,
  timings: PollerTimings,
  random = Math.random,
) {
  if (isLoginRefused(error)) return backoffDelay(0, timings.authRetryMs, timings.authRetryMs, random);
  return backoffDelay(attempt, timings.reconnectBaseMs, timings.reconnectMaxMs, random);
}

/**
 * A session's failure with its description already made safe while the password was at hand (a server may echo
 * the LOGIN command, password included, in its refusal).
 */
class SessionFailure extends Error {
  readonly failure: unknown;

  constructor(safeText: string, failure: unknown) {
    super(safeText);
    this.failure = failure;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/**
 * Polls one agent's IMAP mailbox while this process holds its lease: connect, select, sync, then wait for IDLE's
 * EXISTS (or the poll interval) and sync again. Connection failures are logged and retried with backoff, never
 * thrown; the lease is kept through reconnects and renewed in the background; losing it stops the session.
 */
export class ImapPoller {
  private readonly stopController = new AbortController();
  private running?: Promise<void>;
  private readonly log: Logger;
  private readonly options: ImapPollerOptions;

  constructor(options: ImapPollerOptions) {
    this.options = options;
    this.log = options.logger.child({
      agentId: options.store.agentId,
      imap: { host: options.config.host, port: options.config.port, mailbox: options.config.mailbox },
    });
  }

  start(): void {
    this.running ??= this.run().catch((error) => {
      this.log.error({ err: safeImapError(error) }, 'IMAP poller stopped unexpectedly');
    });
  }

  /** Stops polling, closes the connection and releases the lease. */
  async stop(): Promise<void> {
    this.stopController.abort();
    await this.running;
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private async run(): Promise<void> {
    const { store, timings } = this.options;
    while (!this.stopped) {
      let cursor: ImapCursor | undefined;
      try {
        cursor = await store.acquire(mailboxKey(this.options.config), timings.leaseTtlMs);
      } catch (error) {
        this.log.warn({ err: safeImapError(error) }, 'IMAP lease check failed');
      }
      if (!cursor) {
        await sleep(timings.leaseRetryMs, this.stopController.signal);
        continue;
      }
      this.log.info('IMAP mailbox lease taken');
      await this.holdLease(cursor);
    }
  }

  /** Runs sessions (reconnecting with backoff) until stopped or the lease is lost; releases it on a clean stop. */
  private async holdLease(initial: ImapCursor): Promise<void> {
    const { store, timings } = this.options;
    const lease = new AbortController();
    const abortAll = () => lease.abort();
    this.stopController.signal.addEventListener('abort', abortAll);
    let lastRenewed = Date.now();
    const renewer = setInterval(() => {
      store.renew(timings.leaseTtlMs).then(
        (held) => {
          if (held) lastRenewed = Date.now();
          else lease.abort();
        },
        (error) => {
          this.log.warn({ err: safeImapError(error) }, 'IMAP lease renewal failed');
          // Cannot tell: assume lost once the lease would have expired.
          if (Date.now() - lastRenewed > timings.leaseTtlMs * 0.8) lease.abort();
        },
      );
    }, timings.leaseTtlMs / 3);
    let cursor = initial;
    let attempt = 0;
    try {
      while (!lease.signal.aborted) {
        let failure: unknown;
        try {
          cursor = await this.session(cursor, lease.signal, attempt === 0, () => {
            attempt = 0;
          });
        } catch (error) {
          if (error instanceof LeaseLostError || lease.signal.aborted) break;
          failure = error;
        }
        if (lease.signal.aborted) break;
        const cause = failure instanceof SessionFailure ? failure.failure : failure;
        const retryInMs = reconnectDelay(cause, attempt, timings);
        if (failure !== undefined) {
          const message = failure instanceof SessionFailure ? failure.message : safeImapError(failure);
          this.log.warn({ err: message, attempt, retryInMs }, 'IMAP connection failed; reconnecting');
          await store.setState('error', message).catch(() => {});
        }
        attempt++;
        await sleep(retryInMs, lease.signal);
      }
    } finally {
      clearInterval(renewer);
      this.stopController.signal.removeEventListener('abort', abortAll);
    }
    if (this.stopped) await store.release().catch(() => {});
    else this.log.warn('IMAP mailbox lease lost to another process');
  }

  /**
   * One connection: returns the cursor when stopped; throws on connection errors. A reconnect leaves the state at
   * `error` (with the last problem) until it succeeds.
   */
  private async session(
    cursor: ImapCursor,
    signal: AbortSignal,
    firstAttempt: boolean,
    connected: () => void,
  ): Promise<ImapCursor> {
    const password = await this.options.password();
    if (!password) throw new Error('imap_config.password is not configured');
    try {
      return await this.connected(password, cursor, signal, firstAttempt, connected);
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      throw new SessionFailure(safeImapError(error, password), error);
    }
  }

  private async connected(
    password: string,
    cursor: ImapCursor,
    signal: AbortSignal,
    firstAttempt: boolean,
    connected: () => void,
  ): Promise<ImapCursor> {
    const { config, store, timings } = this.options;
    if (firstAttempt) await store.setState('connecting');
    const client = await imapClient(config, password);
    const closed = new Promise<void>((resolve) => client.once('close', resolve));
    client.on('error', () => {
      // Emitted once before `close`; the failing command or the wait below reports it.
    });
    const onAbort = () => client.close();
    signal.addEventListener('abort', onAbort);
    try {
      await client.connect();
      await client.mailboxOpen(config.mailbox);
      this.log.info('IMAP mailbox opened');
      const newMail = new NewMailSignal(client);
      let retryIngestAttempt = 0;
      while (!signal.aborted) {
        let wait = timings.pollIntervalMs;
        newMail.reset();
        try {
          cursor = await syncMailbox(this.syncDeps(client), cursor);
          retryIngestAttempt = 0;
          // Only a sync that went through resets the reconnect backoff, not an opened mailbox: a session that
          // always fails in its first sync (a message the server cannot FETCH) would reconnect at the base
          // delay forever.
          connected();
        } catch (error) {
          if (!(error instanceof IngestFailedError)) throw error;
          // The connection works; the ingest retries below with its own backoff.
          connected();
          this.log.warn(
            { uid: error.uid, err: String(error.cause) },
            'IMAP message ingest failed; will retry',
          );
          wait = backoffDelay(retryIngestAttempt++, timings.reconnectBaseMs, timings.reconnectMaxMs);
        }
        await newMail.wait(wait, signal, closed);
        if (!signal.aborted && !client.usable) throw new Error('IMAP connection closed by the server');
      }
      return cursor;
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (client.usable) await client.logout().catch(() => client.close());
      else client.close();
    }
  }

  private syncDeps(client: ImapFlow) {
    const { store, limits, ingest } = this.options;
    return {
      client,
      limits,
      logger: this.log,
      ingest,
      saveCursor: (next: ImapCursor) => store.saveCursor(next),
    };
  }
}

/**
 * IDLE's new-mail notifications for one session, remembered even when they arrive while a sync is running (no
 * one is waiting then), so such mail is fetched at once rather than at the next poll interval.
 */
class NewMailSignal {
  private pending = false;
  private wake?: () => void;

  constructor(client: ImapFlow) {
    client.on('exists', () => {
      this.pending = true;
      this.wake?.();
    });
  }

  /** Call as a sync starts: only notifications from now on count for the next wait. */
  reset(): void {
    this.pending = false;
  }

  /** Resolves at once when mail was announced since `reset`, else on the next notice, after `ms`, stop or close. */
  wait(ms: number, signal: AbortSignal, closed: Promise<void>): Promise<void> {
    if (this.pending) return Promise.resolve();
    const local = new AbortController();
    const onStop = () => local.abort();
    this.wake = onStop;
    signal.addEventListener('abort', onStop);
    return Promise.race([sleep(ms, local.signal), closed]).finally(() => {
      local.abort();
      this.wake = undefined;
      signal.removeEventListener('abort', onStop);
    });
  }
}
