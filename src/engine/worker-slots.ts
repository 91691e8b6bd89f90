import type { PgBoss, WorkOptions } from 'pg-boss';
import { GroupCommit } from './group-commit.ts';

type Job = { id: string; data: unknown };

/** Most job ids completed in one statement. */
const MAX_COMPLETIONS = 100;

/**
 * The workers of one queue in this process, one pg-boss registration per slot so each can be woken
 * by id. A slot takes up to `batchSize` jobs per fetch (distinct singleton keys, so never two of one
 * conversation or stream) and runs them at once; each job of a batch is settled on its own the moment it ends
 * (completed, or failed and retried); a lone job, and the last of a batch to end, are completed by pg-boss as the
 * handler returns (a statement it runs for every batch). A slot fetches again as its batch ends when the batch
 * was full (a backlog drains at full speed), a job failed, or a job was announced meanwhile (`announce`: it may
 * be one the run held back under `stately`); otherwise it waits for the next announcement. With `spread`, a slot
 * that got a full batch wakes one more idle slot: one wake-up (a NOTIFY for many jobs) spreads over the slots
 * while jobs keep coming, and stops at the first short fetch.
 */
export class WorkerSlots {
  private readonly boss: PgBoss;
  private readonly idle = new Set<string>();
  /** Jobs announced so far (`announce`). */
  private announced = 0;
  /** Per slot, the announcements its latest fetch was started after: one since means a look again. */
  private readonly lookedAfter = new Map<string, number>();
  private readonly queue: string;
  private readonly spread: boolean;
  private readonly batchSize: number;
  /** Jobs that ended while the previous completion ran are completed together, in one statement. */
  private readonly completions: GroupCommit<string, undefined>;

  /** Told of every full batch: a backlog is building or draining (JobTableStatistics). */
  private readonly onBacklog: () => void;

  /** `spread`: a slot that got a full batch wakes the next idle one (PostgreSQL, where one NOTIFY may stand for many jobs). */
  constructor(
    boss: PgBoss,
    queue: string,
    spread: boolean,
    batchSize: number,
    onBacklog: () => void = () => {},
  ) {
    this.boss = boss;
    this.onBacklog = onBacklog;
    this.queue = queue;
    this.spread = spread;
    this.batchSize = batchSize;
    this.completions = new GroupCommit<string, undefined>({
      commit: async (ids) => {
        await boss.complete(queue, ids);
        return ids.map(() => undefined);
      },
      maxBatch: MAX_COMPLETIONS,
    });
  }

  async add(options: WorkOptions, run: (job: Job) => Promise<void>): Promise<void> {
    let id = '';
    id = await this.boss.work(this.queue, { ...options, batchSize: this.batchSize }, async (jobs) => {
      if (jobs.length === 0) return;
      this.idle.delete(id);
      const full = jobs.length === this.batchSize;
      if (full) {
        this.onBacklog();
        if (this.spread) this.wakeIdle();
      }
      let failed = true;
      try {
        // One job: pg-boss settles it as the handler returns (a second completion would find nothing to do).
        if (jobs.length === 1 && jobs[0]) await run(jobs[0]);
        else {
          let running = jobs.length;
          const last = () => --running === 0;
          const unsettled = (await Promise.all(jobs.map((job) => this.runAndSettle(job, run, last)))).find(
            (error) => error !== undefined,
          );
          // pg-boss then fails whichever jobs of the batch are still active (retried); settled ones stay settled.
          if (unsettled !== undefined) throw unsettled;
        }
        failed = false;
      } finally {
        this.idle.add(id);
        if (full || failed || this.announced !== this.lookedAfter.get(id)) this.look(id);
      }
    });
    this.idle.add(id);
  }

  /**
   * Runs one job of a batch and settles it the moment it ends — completed, or failed (and retried) — so a slow
   * neighbour never keeps its key busy under `stately`. Returns an error only when the job could not be settled.
   * The batch's last job to end (`last()` true) is left to the completion pg-boss runs for the whole batch as the
   * handler returns: that statement comes anyway, and would otherwise find every job already completed.
   */
  private async runAndSettle(
    job: Job,
    run: (job: Job) => Promise<void>,
    last: () => boolean,
  ): Promise<unknown> {
    let failure: unknown;
    try {
      await run(job);
    } catch (error) {
      failure = error ?? new Error('job failed');
    }
    const leftToPgBoss = last();
    try {
      if (failure !== undefined) await this.boss.fail(this.queue, job.id, { message: messageOf(failure) });
      else if (!leftToPgBoss) await this.completions.submit(job.id);
      return undefined;
    } catch (settleError) {
      return failure ?? settleError;
    }
  }

  /** Starts an idle slot, if there is one (a poll, or a full batch spreading). */
  wakeIdle(): void {
    const idle = this.idle.values().next();
    if (!idle.done) this.look(idle.value);
  }

  /** Makes a slot fetch (again): what was announced until now, that fetch will see. */
  private look(id: string): void {
    this.lookedAfter.set(id, this.announced);
    this.boss.notifyWorker(id);
  }

  /** A job of this queue is due now: an idle slot fetches it, and busy slots fetch again as their batch ends. */
  announce(): void {
    this.announced++;
    this.wakeIdle();
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Wakes one idle slot of each queue every `intervalMs`, one queue at a time spread over the interval: the look
 * for due jobs that nothing announced (deferred by another process, a pg-boss retry coming due). A queue with no
 * idle slot needs none: its busy slots fetch again as each batch ends. Returns the stopper.
 */
export function pollIdleSlots(queues: WorkerSlots[], intervalMs: number): () => void {
  if (queues.length === 0) return () => {};
  let next = 0;
  const timer = setInterval(() => queues[next++ % queues.length]?.wakeIdle(), intervalMs / queues.length);
  timer.unref();
  return () => clearInterval(timer);
}
