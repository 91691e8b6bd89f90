import type { PgBoss, WorkOptions } from 'pg-boss';

type Job = { id: string; data: unknown };

/**
 * The workers of one queue in this process, one pg-boss registration per slot so each can be woken
 * by id. A slot that finished a job fetches again at once (a backlog drains at full speed, and a job
 * its run held back under `stately` is picked up); `wakeOne` starts an idle slot, or queues a refetch
 * on a busy one when none is idle. With `spread`, a slot that got a job wakes one more idle slot: one wake-up
 * (a NOTIFY for a batch of jobs) spreads over the slots while jobs keep coming, and stops at the first empty
 * fetch. On PGlite every fetch waits its turn on the one connection, and every commit wakes a slot itself.
 */
export class WorkerSlots {
  private readonly boss: PgBoss;
  private readonly idle = new Set<string>();
  private readonly all: string[] = [];
  private next = 0;

  private readonly spread: boolean;

  /** `spread`: a slot that got a job wakes the next idle one (PostgreSQL, where one NOTIFY may stand for a batch). */
  constructor(boss: PgBoss, spread: boolean) {
    this.boss = boss;
    this.spread = spread;
  }

  async add(queue: string, options: WorkOptions, run: (job: Job) => Promise<void>): Promise<void> {
    let id = '';
    id = await this.boss.work(queue, options, async ([job]) => {
      if (!job) return;
      this.idle.delete(id);
      if (this.spread) this.wakeIdle();
      try {
        await run(job);
      } finally {
        this.idle.add(id);
      }
      this.boss.notifyWorker(id);
    });
    this.all.push(id);
    this.idle.add(id);
  }

  /** Starts an idle slot, if there is one (a busy slot fetches again when its job ends anyway). */
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
