import type { JobResult, PgBoss, WorkOptions } from 'pg-boss';

type Job = { id: string; data: unknown };

/**
 * The workers of one queue in this process, one pg-boss registration per slot so each can be woken
 * by id. A slot takes up to `batchSize` jobs per fetch (distinct singleton keys, so never two of one
 * conversation or stream) and runs them at once; each job is settled on its own (completed, or failed and
 * retried), all completions of a batch in one statement. A slot that finished its batch fetches again at once
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
    const settle = (job: Job): Promise<JobResult> =>
      run(job).then(
        () => ({ id: job.id, status: 'completed' }),
        (error: unknown) => ({ id: job.id, status: 'failed', output: { message: messageOf(error) } }),
      );
    const work = { ...options, batchSize: this.batchSize, perJobResults: true } as const;
    id = await this.boss.work(queue, work, async (jobs) => {
      if (jobs.length === 0) return [];
      this.idle.delete(id);
      if (this.spread && jobs.length === this.batchSize) this.wakeIdle();
      try {
        return await Promise.all(jobs.map(settle));
      } finally {
        this.idle.add(id);
        this.boss.notifyWorker(id);
      }
    });
    this.all.push(id);
    this.idle.add(id);
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
