/** One submitted item waiting for its commit. */
type Pending<I, R> = {
  item: I;
  keys: string[];
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
};

/**
 * Group commit: items submitted while a commit is in flight share the next one, so throughput grows with
 * concurrency instead of queueing on the database. No timer: a commit starts as soon as a slot is free and the
 * event loop has read the requests waiting in their sockets, with everything queued by then. With `concurrency` > 1 several commits run at once, but two items sharing a key
 * (an ordered stream) are never in flight together and always commit in submission order. A failed batch is
 * retried item by item, so one bad item never fails its neighbours.
 */
export class GroupCommit<I, R> {
  private queue: Pending<I, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** Keys of the items in the commits now running. */
  private readonly busyKeys = new Map<string, number>();
  private readonly commit: (items: I[]) => Promise<R[]>;
  private readonly sizeOf: (item: I) => number;
  private readonly keysOf: (item: I) => string[];
  private readonly maxBatch: number;
  private readonly concurrency: number;
  private readonly onCommitted: (results: R[]) => void;

  /** `commit` writes a batch atomically and returns one result per item, in order. */
  constructor(options: {
    commit: (items: I[]) => Promise<R[]>;
    sizeOf?: (item: I) => number;
    /** The ordered streams an item belongs to (default: none, so any items may commit concurrently). */
    keysOf?: (item: I) => string[];
    maxBatch: number;
    /** Commits running at once (default 1). */
    concurrency?: number;
    onCommitted?: (results: R[]) => void;
  }) {
    this.commit = options.commit;
    this.sizeOf = options.sizeOf ?? (() => 1);
    this.keysOf = options.keysOf ?? (() => []);
    this.maxBatch = options.maxBatch;
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.onCommitted = options.onCommitted ?? (() => {});
  }

  /** Resolves with the item's result once its batch is committed. */
  submit(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, keys: this.keysOf(item), resolve, reject });
      this.schedule();
    });
  }

  /**
   * Takes the next batch once the event loop has read every request ready now (setImmediate runs after the I/O
   * phase). Committing at once batched nothing on the embedded database: its commit runs on this thread and
   * finished inside the first request's callback, before the next socket was read — one event per commit.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.queue.length > 0) {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      this.inFlight++;
      for (const pending of batch)
        for (const key of pending.keys) this.busyKeys.set(key, (this.busyKeys.get(key) ?? 0) + 1);
      void this.run(batch).finally(() => {
        this.inFlight--;
        for (const pending of batch) {
          for (const key of pending.keys) {
            const left = (this.busyKeys.get(key) ?? 1) - 1;
            if (left === 0) this.busyKeys.delete(key);
            else this.busyKeys.set(key, left);
          }
        }
        this.schedule();
      });
    }
  }

  private async run(batch: Pending<I, R>[]): Promise<void> {
    try {
      const results = await this.commit(batch.map((p) => p.item));
      this.onCommitted(results);
      batch.forEach((pending, i) => pending.resolve(results[i] as R));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      for (const pending of batch) {
        try {
          const results = await this.commit([pending.item]);
          this.onCommitted(results);
          pending.resolve(results[0] as R);
        } catch (itemError) {
          pending.reject(itemError);
        }
      }
    }
  }

  /**
   * The oldest queued items up to `maxBatch`, skipping any whose key is in a running commit — and every later
   * item sharing a key with a skipped one, so an ordered stream never overtakes itself.
   */
  private takeBatch(): Pending<I, R>[] {
    const batch: Pending<I, R>[] = [];
    const kept: Pending<I, R>[] = [];
    const held = new Set<string>();
    let size = 0;
    let full = false;
    for (const pending of this.queue) {
      const blocked = pending.keys.some((key) => this.busyKeys.has(key) || held.has(key));
      const nextSize = this.sizeOf(pending.item);
      if (full || blocked || (batch.length > 0 && size + nextSize > this.maxBatch)) {
        full ||= !blocked;
        for (const key of pending.keys) held.add(key);
        kept.push(pending);
        continue;
      }
      batch.push(pending);
      size += nextSize;
    }
    this.queue = kept;
    return batch;
  }
}
