import type { PGlite } from '@electric-sql/pglite';

/** After an urgent statement, background statements keep waiting this long for the next one (a burst). */
const BURST_GAP_MS = 5;
/** Longest a background statement waits during a burst: workers slow down under load but never stop. */
const MAX_WAIT_MS = 100;

type Waiter = { resolve: () => void; deadline: number };

/**
 * The embedded database runs one statement at a time on the process's one thread, so during a webhook burst the
 * workers' statements (and the JavaScript between them) took the time the webhooks' commits needed: measured, 8×
 * fewer webhooks acknowledged per second while workers ran. This gate puts urgent statements (the ingest commit)
 * first: while one is running, or less than BURST_GAP_MS ago, background statements wait at the gate — each at
 * most MAX_WAIT_MS, so processing still advances under a sustained burst and catches up after it.
 */
export class PriorityGate {
  private urgent = 0;
  private lastUrgentEnd = -Infinity;
  private waiting: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  /** Undefined when a background statement may start now; otherwise resolves when it may. */
  background(): Promise<void> | undefined {
    if (!this.inBurst(performance.now())) return undefined;
    return new Promise((resolve) => {
      this.waiting.push({ resolve, deadline: performance.now() + MAX_WAIT_MS });
      this.schedule();
    });
  }

  async urgently<T>(run: () => Promise<T>): Promise<T> {
    this.urgent++;
    try {
      return await run();
    } finally {
      this.urgent--;
      this.lastUrgentEnd = performance.now();
      this.schedule();
    }
  }

  private inBurst(now: number): boolean {
    return this.urgent > 0 || now - this.lastUrgentEnd < BURST_GAP_MS;
  }

  /** Lets through whoever may go now, and sets one timer for the next moment someone may. */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = performance.now();
    const burst = this.inBurst(now);
    const still: Waiter[] = [];
    for (const waiter of this.waiting) {
      if (!burst || waiter.deadline <= now) waiter.resolve();
      else still.push(waiter);
    }
    this.waiting = still;
    if (still.length === 0) return;
    const burstEnds = this.urgent > 0 ? Infinity : this.lastUrgentEnd + BURST_GAP_MS;
    const next = Math.min(burstEnds, ...still.map((waiter) => waiter.deadline));
    // Not unref'd: a statement waiting here is work in progress, and must keep the process alive until it runs
    // (unref'd, a start-up whose next statement waited out a burst exited with its top-level await unsettled).
    this.timer = setTimeout(() => this.schedule(), Math.max(1, next - now));
  }
}

/**
 * Puts every top-level entry point of `client` (query, exec, transaction: what Drizzle, pg-boss and our own
 * runner call) behind the gate, and returns the ungated query for urgent statements. Statements inside a
 * transaction are never gated (the transaction already holds the engine), so the gate cannot deadlock.
 */
export function gatePglite(client: PGlite, gate: PriorityGate): PGlite['query'] {
  const query = client.query.bind(client);
  const exec = client.exec.bind(client);
  const transaction = client.transaction.bind(client);
  client.query = (async (...args: Parameters<PGlite['query']>) => {
    await gate.background();
    return query(...args);
  }) as PGlite['query'];
  client.exec = async (...args: Parameters<PGlite['exec']>) => {
    await gate.background();
    return exec(...args);
  };
  client.transaction = (async (...args: Parameters<PGlite['transaction']>) => {
    await gate.background();
    return transaction(...args);
  }) as PGlite['transaction'];
  return query;
}
