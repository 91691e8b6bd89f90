import type { PgBoss, WorkOptions } from 'pg-boss';

type Job = { id: string; data: unknown };

/**
 * The workers of one queue in this process, one pg-boss registration per slot so each can be woken
 * by id. A slot that finished a job fetches again at once (a backlog drains at full speed, and a job
 * its run held back under `stately` is picked up); `wakeOne` starts an idle slot, or queues a refetch
 * on a busy one when none is idle.
 */
export class WorkerSlots {
  private readonly boss: PgBoss;
  private readonly idle = new Set<string>();
  private readonly all: string[] = [];
  private next = 0;

  constructor(boss: PgBoss) {
    this.boss = boss;
  }

  async add(queue: string, options: WorkOptions, run: (job: Job) => Promise<void>): Promise<void> {
    let id = '';
    id = await this.boss.work(queue, options, async ([job]) => {
      if (!job) return;
      this.idle.delete(id);
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

  wakeOne(): void {
    const idle = this.idle.values().next();
    const id = idle.done ? this.all[this.next++ % this.all.length] : idle.value;
    if (id) this.boss.notifyWorker(id);
  }
}
