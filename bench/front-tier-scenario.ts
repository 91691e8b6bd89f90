/**
 * The scale-out front tier (issue 19's durable-ingest frame): signed webhooks into a `WORKERS=false` process that
 * only verifies, commits and enqueues; then a process with workers on the same database drains what it took, and
 * the database is counted: every acknowledged update stored, every stored update processed. Measured as the
 * issue's prototype was: interleaved rounds (the raw node:http baseline, then the front tier, same load generator
 * and bodies), the ratio taken within each round, and the median of the rounds reported.
 */
import { scrapeMetrics, sumOf } from './metrics-scrape.ts';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { measureIngest } from './engine-scenarios.ts';
import { type Load, measureRounds, median, type Round, summarize } from './rounds.ts';

/**
 * Update ids of variant v, round r start `fv<v>r<r>`: as long as the all-in-one run's 'bench' (bodies keep their
 * size), and never an id an earlier variant or round sent (a redelivery is answered without a write).
 */
const prefixOf = (variant: number, round: number) => `fv${variant % 10}r${round % 10}`;
/** The warm-up's round number in its update ids (rounds count from 0; a run has fewer than 9). */
export const WARMUP_ROUND = 9;
/** The drain's poll interval. */
const POLL_MS = 1000;
/** Bound on the drain after the load. */
const DRAIN_LIMIT_MS = 300_000;
/**
 * Inbound jobs waiting or running: the embedded database's drain (its events all processed, as the PostgreSQL
 * variant counts them). The conversation jobs that answer them are not waited for: 60,000 turns are not this
 * scenario's subject.
 */
const INBOUND_JOBS = /^switchboard_queue_jobs\{queue="inbound",state="(waiting|active)"\} /;

/** Inbound jobs waiting or running, from a process's /metrics. */
async function pendingJobs(url: string): Promise<number> {
  return sumOf(await scrapeMetrics(url), INBOUND_JOBS);
}

type Started = { child: ChildProcess; url: string };

/** What a load measured in rounds against the raw baseline needs from bench/run.ts (front tier and prototype). */
export type RoundsDeps = {
  stop: (child: ChildProcess) => Promise<void>;
  /** Runs the load and adds the server's CPU per accepted event (bench/run.ts's withCpu). */
  withCpu: <T extends { accepted_per_s: number }>(
    child: ChildProcess,
    run: () => Promise<T>,
  ) => Promise<
    T & { server_cpu_ms_per_accepted: number | null; database_cpu_ms_per_accepted?: number | null }
  >;
  /** The raw node:http webhook baseline's accepted/s, measured now (each round's frame). */
  baseline: () => Promise<number>;
  rounds: number;
  durationS: number;
  connections: number;
  /** The scratch PostgreSQL database, or undefined for the embedded one under `dataDir` (Switchboard's DATA_DIR). */
  databaseUrl: string | undefined;
  dataDir: string;
};

export type FrontTierDeps = RoundsDeps & {
  /** Starts Switchboard on the bench's database with these extra variables. */
  start: (env: Record<string, string>) => Promise<Started>;
  /** This measurement's number in the run (0–9): its update ids are its own. */
  variant: number;
  agentId: string;
};

type IngestRound = Round<Load> & {
  server_cpu_ms_per_accepted: number | null;
  database_cpu_ms_per_accepted?: number | null;
};

/** The rounds' medians, CPU per accepted event included; each round's own rate is named `as`. */
export function summarizeIngest(
  each: IngestRound[],
  what: string,
  as: string,
  databaseUrl: string | undefined,
) {
  const { rps, rounds, ...summary } = summarize(each, what);
  return {
    accepted_per_s: rps,
    ...summary,
    server_cpu_ms_per_accepted: median(each.map((r) => r.server_cpu_ms_per_accepted)),
    ...(databaseUrl
      ? { database_cpu_ms_per_accepted: median(each.map((r) => r.database_cpu_ms_per_accepted)) }
      : {}),
    rounds: rounds.map(({ rps: rate, ...round }) => ({ ...round, [as]: rate })),
  };
}

type Counts = { stored: Set<string>; unprocessed: number };

/** The scenario's update ids (every round's and the warm-up's), as a LIKE pattern. */
const idsOf = (variant: number) => `fv${variant % 10}r_-%`;

/**
 * One statement on the bench's database, on a connection of its own: PostgreSQL at `databaseUrl`, else the
 * embedded database in `pgliteDir`, opened, read and closed (no process may be running on it).
 */
export async function readDatabase<T extends pg.QueryResultRow>(
  databaseUrl: string | undefined,
  pgliteDir: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  if (!databaseUrl) {
    const db = await PGlite.create(pgliteDir);
    try {
      return (await db.query<T>(sql, params)).rows;
    } finally {
      await db.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** The scenario's stored update ids and how many are not processed yet. */
async function countEvents(
  databaseUrl: string | undefined,
  dataDir: string,
  variant: number,
): Promise<Counts> {
  const sql = `select provider_event_id as id, processed from inbound_events where provider_event_id like $1`;
  const rows = await readDatabase<{ id: string; processed: boolean }>(
    databaseUrl,
    path.join(dataDir, 'pgdata'),
    sql,
    [idsOf(variant)],
  );
  return { stored: new Set(rows.map((row) => row.id)), unprocessed: rows.filter((r) => !r.processed).length };
}

/** Unprocessed events of the scenario on PostgreSQL: the drain's poll (the pending index holds only these). */
async function unprocessedEvents(databaseUrl: string, variant: number): Promise<number> {
  const sql = `select count(*)::int as n from inbound_events where not processed and provider_event_id like $1`;
  const [row] = await readDatabase<{ n: number }>(databaseUrl, '', sql, [idsOf(variant)]);
  return row?.n ?? 0;
}

/**
 * Polls `done` every `POLL_MS` until it holds or `DRAIN_LIMIT_MS` passed; the milliseconds it took. Once a
 * second: reading every stored event each 100 ms took more database time than the drain it watched (measured).
 */
async function until(done: () => Promise<boolean> | boolean): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < DRAIN_LIMIT_MS && !(await done())) {
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return Math.round(performance.now() - started);
}

/**
 * `ingest(round)` against `child` in rounds framed by the raw baseline, its CPU per accepted event counted, after a
 * warm-up whose updates are acknowledged and stored like the rounds' (and counted with them); `child` is stopped
 * after.
 */
export async function ingestRounds<T extends Omit<Load, 'rps'> & { accepted_per_s: number }>(
  deps: RoundsDeps,
  child: ChildProcess,
  ingest: (round: number) => Promise<T>,
) {
  try {
    return await measureRounds(
      deps.rounds,
      deps.baseline,
      async (round) => {
        const load = await deps.withCpu(child, () => ingest(round));
        return { ...load, rps: load.accepted_per_s };
      },
      () => ingest(WARMUP_ROUND),
    );
  } finally {
    await deps.stop(child);
  }
}

/**
 * Ingest into a WORKERS=false process in rounds, each framed by the raw baseline; then drain with a worker
 * process and check nothing was lost.
 */
export async function measureFrontTier(deps: FrontTierDeps) {
  const { agentId, databaseUrl, dataDir } = deps;
  const acked = new Set<string>();
  const front = await deps.start({ WORKERS: 'false' });
  const each = await ingestRounds(deps, front.child, (round) =>
    measureIngest(front.url, agentId, deps.durationS, deps.connections, prefixOf(deps.variant, round), (id) =>
      acked.add(id),
    ),
  );
  const ingest = summarizeIngest(each, 'the front tier', 'front', databaseUrl);
  // The worker tier: a normal process on the same database answers what the front tier queued.
  const worker = await deps.start({});
  let drainMs: number;
  try {
    drainMs = databaseUrl
      ? await until(async () => (await unprocessedEvents(databaseUrl, deps.variant)) === 0)
      : // The embedded database cannot be read while its process runs: its queue gauges say when all is done.
        await until(async () => (await pendingJobs(worker.url)) === 0);
  } finally {
    await deps.stop(worker.child);
  }
  const { stored, unprocessed } = await countEvents(databaseUrl, dataDir, deps.variant);
  const missing = [...acked].filter((id) => !stored.has(id)).length;
  return {
    ...ingest,
    process: 'WORKERS=false (ingest only); a second process with workers drained it',
    acknowledged_updates: acked.size,
    stored_updates: stored.size,
    acknowledged_not_stored: missing,
    stored_not_processed: unprocessed,
    drain_ms: drainMs,
  };
}
