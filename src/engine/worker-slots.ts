import type { PgBoss, WorkOptions } from 'pg-boss';
import { GroupCommit } from './group-commit.ts';

type Job = { id: string; data: unknown };

/** Most job ids completed in one statement. */
const MAX_COMPLETIONS = 100;

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
      if (jobs.length === this.batchSize) {
        this.onBacklog();
        if (this.spread) this.wakeIdle();
      }
      try {
        const unsettled = (await Promise.all(jobs.map((job) => this.runAndSettle(job, run)))).find(
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
  private async runAndSettle(job: Job, run: (job: Job) => Promise<void>): Promise<unknown> {
    let failure: unknown;
    try {
      await run(job);
    } catch (error) {
      failure = error ?? new Error('job failed');
    }
    try {
      if (failure === undefined) await this.completions.submit(job.id);
      else await this.boss.fail(this.queue, job.id, { message: messageOf(failure) });
      return undefined;
    } catch (settleError) {
      return failure ?? settleError;
    }
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
