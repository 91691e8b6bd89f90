import { timedMaintenance } from '../metrics/metrics.ts';
import type { Database } from './client.ts';

/** A checkpoint is due once this much WAL was written since the last one… */
const CHECKPOINT_WAL_BYTES = 256 * 1024 * 1024;
/** …or this long after it, when any WAL was written at all (PostgreSQL's own `checkpoint_timeout`). */
const CHECKPOINT_MAX_AGE_MS = 5 * 60_000;
/** Less WAL than this since the last checkpoint (its own record, an idle database) is no reason for a timed one. */
const MIN_TIMED_WAL_BYTES = 1024 * 1024;

/**
 * The embedded database checkpoints only when told to: in single-user mode PostgreSQL never requests a checkpoint
 * itself (measured: 200 MB of WAL past `max_wal_size = 64MB`, none). Until one runs, every WAL segment since
 * start-up stays on disk and a crash makes the next start replay all of it. `checkpointIfDue` runs `CHECKPOINT`
 * when enough WAL was written or enough time went by since the last one, which recycles the old segments.
 */
export class EmbeddedCheckpoint {
  private readonly database: Database;
  private readonly walBytes: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private last: number;

  constructor(
    database: Database,
    options: { walBytes?: number; maxAgeMs?: number; now?: () => number } = {},
  ) {
    this.database = database;
    this.walBytes = options.walBytes ?? CHECKPOINT_WAL_BYTES;
    this.maxAgeMs = options.maxAgeMs ?? CHECKPOINT_MAX_AGE_MS;
    this.now = options.now ?? Date.now;
    this.last = this.now();
  }

  /** Runs a checkpoint when one is due; returns whether it did. */
  async checkpointIfDue(): Promise<boolean> {
    const [row] = await this.database.query<{ bytes: string | number }>(
      `select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn) as bytes from pg_control_checkpoint()`,
    );
    const written = Number(row?.bytes ?? 0);
    const age = this.now() - this.last;
    const due = written >= this.walBytes || (age >= this.maxAgeMs && written > MIN_TIMED_WAL_BYTES);
    if (!due) return false;
    await timedMaintenance('checkpoint', () => this.database.query('checkpoint'));
    // PostgreSQL did not sync the pages the checkpoint wrote (fsync is off); WAL before it may now be recycled.
    await this.database.durability?.syncFiles();
    this.last = this.now();
    return true;
  }
}
