/**
 * The scale-out front tier (issue 19's durable-ingest frame): signed webhooks into a `WORKERS=false` process that
 * only verifies, commits and enqueues; then a process with workers on the same database drains what it took, and
 * the database is counted: every acknowledged update stored, every stored update processed.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { type BenchPeer, measureIngest } from './engine-scenarios.ts';

/** Update ids of this scenario (as long as the all-in-one run's 'bench', so bodies keep their size). */
const PREFIX = 'front';
/** Bound on the drain after the load. */
const DRAIN_LIMIT_MS = 120_000;

type Started = { child: ChildProcess; url: string };

export type FrontTierDeps = {
  /** Starts Switchboard on the bench's database with these extra variables. */
  start: (env: Record<string, string>) => Promise<Started>;
  stop: (child: ChildProcess) => Promise<void>;
  /** Runs the load and adds the server's CPU per accepted event (bench/run.ts's withCpu). */
  withCpu: <T extends { accepted_per_s: number }>(
    child: ChildProcess,
    run: () => Promise<T>,
  ) => Promise<T & { server_cpu_ms_per_accepted: number | null }>;
  agentId: string;
  durationS: number;
  connections: number;
  peer: BenchPeer;
  /** The scratch PostgreSQL database, or undefined for the embedded one under `dataDir` (Switchboard's DATA_DIR). */
  databaseUrl: string | undefined;
  dataDir: string;
};

type Counts = { stored: Set<string>; unprocessed: number };

/** The scenario's stored update ids and how many are not processed yet. */
async function countEvents(databaseUrl: string | undefined, dataDir: string): Promise<Counts> {
  const sql = `select provider_event_id as id, processed from inbound_events where provider_event_id like $1`;
  const like = [`${PREFIX}-%`];
  let rows: { id: string; processed: boolean }[];
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      rows = (await client.query<{ id: string; processed: boolean }>(sql, like)).rows;
    } finally {
      await client.end();
    }
  } else {
    // No Switchboard runs now: the embedded database is opened here, read, and closed.
    const db = await PGlite.create(path.join(dataDir, 'pgdata'));
    try {
      rows = (await db.query<{ id: string; processed: boolean }>(sql, like)).rows;
    } finally {
      await db.close();
    }
  }
  return { stored: new Set(rows.map((row) => row.id)), unprocessed: rows.filter((r) => !r.processed).length };
}

/** Polls `done` every 100 ms until it holds or `DRAIN_LIMIT_MS` passed; the milliseconds it took. */
async function until(done: () => Promise<boolean> | boolean): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < DRAIN_LIMIT_MS && !(await done())) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return Math.round(performance.now() - started);
}

/** Ingest into a WORKERS=false process, drain with a worker process, and check nothing was lost. */
export async function measureFrontTier(deps: FrontTierDeps) {
  const { agentId, databaseUrl, dataDir, peer } = deps;
  const acked = new Set<string>();
  const front = await deps.start({ WORKERS: 'false' });
  let ingest;
  try {
    ingest = await deps.withCpu(front.child, () =>
      measureIngest(front.url, agentId, deps.durationS, deps.connections, PREFIX, (id) => acked.add(id)),
    );
  } finally {
    await deps.stop(front.child);
  }
  // The worker tier: a normal process on the same database answers what the front tier queued.
  const sendsBefore = peer.sends;
  const worker = await deps.start({});
  let drainMs: number;
  try {
    if (databaseUrl) {
      drainMs = await until(async () => (await countEvents(databaseUrl, dataDir)).unprocessed === 0);
    } else {
      // The embedded database cannot be read while its process runs: wait for the replies to start and stop.
      const first = await until(() => peer.sends > sendsBefore);
      await peer.drain();
      drainMs = first;
    }
  } finally {
    await deps.stop(worker.child);
  }
  const { stored, unprocessed } = await countEvents(databaseUrl, dataDir);
  const missing = [...acked].filter((id) => !stored.has(id)).length;
  return {
    ...ingest,
    process: 'WORKERS=false (ingest only); a second process with workers drained it',
    acknowledged_updates: acked.size,
    stored_updates: stored.size,
    acknowledged_not_stored: missing,
    stored_not_processed: unprocessed,
    ...(databaseUrl ? { drain_ms: drainMs } : { first_reply_after_ms: drainMs }),
  };
}
