/** One submitted item waiting for its commit. */
type Pending<I, R> = { item: I; resolve: (result: R) => void; reject: (error: unknown) => void };

/**
 * Group commit: items submitted while a commit is in flight share the next one, so throughput grows with
 * concurrency instead of queueing on the database. A failed batch is retried item by item, so one bad item
 * never fails its neighbours.
 */
export class GroupCommit<I, R> {
  private queue: Pending<I, R>[] = [];
  private flushing = false;
  private readonly commit: (items: I[]) => Promise<R[]>;
  private readonly sizeOf: (item: I) => number;
  private readonly maxBatch: number;
  private readonly onCommitted: (results: R[]) => void;

  /** `commit` writes a batch in one transaction and returns one result per item, in order. */
  constructor(options: {
    commit: (items: I[]) => Promise<R[]>;
    sizeOf?: (item: I) => number;
    maxBatch: number;
    onCommitted?: (results: R[]) => void;
  }) {
    this.commit = options.commit;
    this.sizeOf = options.sizeOf ?? (() => 1);
    this.maxBatch = options.maxBatch;
    this.onCommitted = options.onCommitted ?? (() => {});
  }

  /** Resolves with the item's result once its batch is committed. */
  submit(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        try {
          const results = await this.commit(batch.map((p) => p.item));
          this.onCommitted(results);
          batch.forEach((pending, i) => pending.resolve(results[i] as R));
        } catch (error) {
          if (batch.length === 1) {
            batch[0]?.reject(error);
            continue;
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
    } finally {
      this.flushing = false;
    }
  }

  private takeBatch(): Pending<I, R>[] {
    const batch: Pending<I, R>[] = [];
    let size = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as Pending<I, R>;
      const nextSize = this.sizeOf(next.item);
      if (batch.length > 0 && size + nextSize > this.maxBatch) break;
      batch.push(next);
      size += nextSize;
      this.queue.shift();
    }
    return batch;
  }
}
