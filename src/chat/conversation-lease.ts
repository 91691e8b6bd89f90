import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client.ts';
import { ApiError } from '../http/errors.ts';

export type LeaseOptions = {
  /** How long a lease lasts without renewal; the holder renews it every third of this while it works. */
  leaseMs?: number;
  /** Longest a request waits for another process's answer before giving up with 409. */
  maxWaitMs?: number;
};

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_MAX_WAIT_MS = 5 * 60_000;
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 500;

/**
 * One in-request answer at a time per conversation across every process on the database: a lease on the
 * conversation row (`answering_by`, `answering_until`), renewed while the holder works and released after.
 * A holder that dies leaves a lease that expires within `leaseMs`, so nothing waits forever.
 */
export class ConversationLease {
  private readonly database: Database;
  private readonly leaseMs: number;
  private readonly maxWaitMs: number;

  constructor(database: Database, options: LeaseOptions = {}) {
    this.database = database;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  }

  async run<T>(conversationId: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const holder = randomUUID();
    await this.acquire(conversationId, holder, signal);
    const renewal = setInterval(() => {
      this.extend(conversationId, holder).catch(() => {
        // A missed renewal only shortens the lease; the next one (or the expiry) settles it.
      });
    }, this.leaseMs / 3);
    renewal.unref();
    try {
      return await task();
    } finally {
      clearInterval(renewal);
      await this.database.query(
        `update conversations set answering_by = null, answering_until = null
         where id = $1 and answering_by = $2`,
        [conversationId, holder],
      );
    }
  }

  private async acquire(conversationId: string, holder: string, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.maxWaitMs;
    for (let pause = FIRST_POLL_MS; ; pause = Math.min(MAX_POLL_MS, pause * 2)) {
      const taken = await this.database.query(
        `update conversations
         set answering_by = $2, answering_until = now() + make_interval(secs => $3::float8 / 1000)
         where id = $1 and (answering_until is null or answering_until < now())
         returning id`,
        [conversationId, holder, this.leaseMs],
      );
      if (taken.length > 0) return;
      if (signal?.aborted) throw new ApiError(409, 'Cancelled while another reply was being written');
      if (Date.now() + pause > deadline) {
        throw new ApiError(
          409,
          'Another reply in this conversation is still being written; try again shortly',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private async extend(conversationId: string, holder: string): Promise<void> {
    await this.database.query(
      `update conversations set answering_until = now() + make_interval(secs => $3::float8 / 1000)
       where id = $1 and answering_by = $2`,
      [conversationId, holder, this.leaseMs],
    );
  }
}
