import type { PgBoss, WorkOptions } from 'pg-boss';

type Job = { id: string; data: unknown };

/**
 * The workers of one queue in this process, one pg-boss registration per slot so each can be woken
 * by id. A slot takes up to `batchSize` jobs per fetch (distinct singleton keys, so never two of one
 * conversation or stream) and runs them at once; each job is settled on its own the moment it ends (completed,
 * or failed and retried). A slot that finished its batch fetches again at once
 * (a backlog drains at full speed, and a job its run held back under `stately` is picked up); `wakeOne` starts
 * an idle slot, or queues a refetch on a busy one when none is idle. With `spread`, a slot that got a full
 * batch wakes one more idle slot: one wake-up (a NOTIFY for many jobs) spreads over the slots while jobs keep
 * coming, and stops at the first short fetch. On PGlite every fetch waits its turn on the one connection, and
 * every commit wakes a slot itself.
 */
export class WorkerSlots {
  private readonly boss: PgBoss;
  private readonly idle = new Set<string>();
  private readonly all: string[] = [];
  private next = 0;
  private readonly batchers = new Map<string, Completions>();
  private readonly spread: boolean;
  private readonly batchSize: number;

  /** `spread`: a slot that got a full batch wakes the next idle one (PostgreSQL, where one NOTIFY may stand for many jobs). */
  constructor(boss: PgBoss, spread: boolean, batchSize: number) {
    this.boss = boss;
    this.spread = spread;
    this.batchSize = batchSize;
  }

  async add(queue: string, options: WorkOptions, run: (job: Job) => Promise<void>): Promise<void> {
    let id = '';
    id = await this.boss.work(queue, { ...options, batchSize: this.batchSize }, async (jobs) => {
      if (jobs.length === 0) return;
      this.idle.delete(id);
      if (this.spread && jobs.length === this.batchSize) this.wakeIdle();
      try {
        const unsettled = (await Promise.all(jobs.map((job) => this.runAndSettle(queue, job, run)))).find(
          (error) => error !== undefined,
        );
        // pg-boss then fails whichever jobs of the batch are still active (retried); settled ones stay settled.
        if (unsettled !== undefined) throw unsettled;
      } finally {
        this.idle.add(id);
        this.boss.notifyWorker(id);
      }
    });
    this.all.push(id);
    this.idle.add(id);
  }

  /**
   * Runs one job of a batch and settles it the moment it ends — completed, or failed (and retried) — so a slow
   * neighbour never keeps its key busy under `stately`. Returns an error only when the job could not be settled.
   */
  private async runAndSettle(queue: string, job: Job, run: (job: Job) => Promise<void>): Promise<unknown> {
    let failure: unknown;
    try {
      await run(job);
    } catch (error) {
      failure = error ?? new Error('job failed');
    }
    try {
      if (failure === undefined) await this.completions(queue).complete(job.id);
      else await this.boss.fail(queue, job.id, { message: messageOf(failure) });
      return undefined;
    } catch (settleError) {
      return failure ?? settleError;
    }
  }

  /** The queue's completion batcher (jobs ending in the same turn of the event loop share one statement). */
  private completions(queue: string): Completions {
    let batcher = this.batchers.get(queue);
    if (!batcher) {
      batcher = new Completions((ids) => this.boss.complete(queue, ids));
      this.batchers.set(queue, batcher);
    }
    return batcher;
  }

  /** Starts an idle slot, if there is one (a busy slot fetches again when its batch ends anyway). */
  wakeIdle(): void {
    const idle = this.idle.values().next();
    if (!idle.done) this.boss.notifyWorker(idle.value);
  }

  wakeOne(): void {
    const idle = this.idle.values().next();
    const id = idle.done ? this.all[this.next++ % this.all.length] : idle.value;
    if (id) this.boss.notifyWorker(id);
  }
}

/** Completes job ids in one statement per turn of the event loop; each caller learns its own outcome. */
class Completions {
  private waiting: { id: string; done: PromiseWithResolvers<void> }[] = [];
  private readonly completeAll: (ids: string[]) => Promise<unknown>;

  constructor(completeAll: (ids: string[]) => Promise<unknown>) {
    this.completeAll = completeAll;
  }

  complete(id: string): Promise<void> {
    const done = Promise.withResolvers<void>();
    if (this.waiting.push({ id, done }) === 1) setImmediate(() => this.flush());
    return done.promise;
  }

  private flush(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.completeAll(batch.map((entry) => entry.id)).then(
      () => batch.forEach((entry) => entry.done.resolve()),
      (error: unknown) => batch.forEach((entry) => entry.done.reject(error)),
    );
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
