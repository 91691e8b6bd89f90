/**
 * The ingest prototype (bench/prototype-ingest.ts) under the front tier's load and frame: interleaved
 * rounds of the raw node:http baseline and the prototype, the ratio taken within each round, then its database
 * counted (every acknowledged update stored once).
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { LOOPBACK_BENCH_SECRET, loopbackRequest, loopbackUpdateId } from './engine-scenarios.ts';
import { measureRounds, median, summarize } from './rounds.ts';
import { measureWebhookIngest } from './webhook-load.ts';

/** Update ids of round r (9 = the warm-up): as long as 'bench', so bodies keep the baseline's size. */
const prefixOf = (round: number) => `pro${round % 10}x`;

export type PrototypeDeps = {
  spawn: (env: Record<string, string>) => { child: ChildProcess; firstLine: Promise<string> };
  stop: (child: ChildProcess) => Promise<void>;
  withCpu: <T extends { accepted_per_s: number }>(
    child: ChildProcess,
    run: () => Promise<T>,
  ) => Promise<
    T & { server_cpu_ms_per_accepted: number | null; database_cpu_ms_per_accepted?: number | null }
  >;
  baseline: () => Promise<number>;
  rounds: number;
  durationS: number;
  connections: number;
  /** The bench's scratch PostgreSQL database, or undefined for PGlite under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
};

/** Distinct update ids stored by the prototype. */
async function storedIds(databaseUrl: string | undefined, dataDir: string): Promise<Set<string>> {
  const sql = 'select event_id from proto_events';
  let rows: { event_id: string }[];
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      rows = (await client.query<{ event_id: string }>(sql)).rows;
    } finally {
      await client.end();
    }
  } else {
    const db = await PGlite.create(dataDir);
    try {
      rows = (await db.query<{ event_id: string }>(sql)).rows;
    } finally {
      await db.close();
    }
  }
  return new Set(rows.map((row) => row.event_id));
}

export async function measurePrototype(deps: PrototypeDeps) {
  const dataDir = path.join(deps.dataDir, 'prototype');
  const started = deps.spawn({
    PROTO_SECRET: LOOPBACK_BENCH_SECRET,
    ...(deps.databaseUrl ? { PROTO_DATABASE_URL: deps.databaseUrl } : { PROTO_DATA_DIR: dataDir }),
  });
  const url = `http://127.0.0.1:${(JSON.parse(await started.firstLine) as { port: number }).port}`;
  const acked = new Set<string>();
  const ingest = (round: number) =>
    measureWebhookIngest(
      url,
      deps.durationS,
      deps.connections,
      (n) => loopbackRequest(n, prefixOf(round)),
      (n) => acked.add(loopbackUpdateId(n, prefixOf(round))),
    );
  let each;
  try {
    each = await measureRounds(
      deps.rounds,
      deps.baseline,
      async (round) => {
        const load = await deps.withCpu(started.child, () => ingest(round));
        return { ...load, rps: load.accepted_per_s };
      },
      () => ingest(9),
    );
  } finally {
    await deps.stop(started.child);
  }
  const stored = await storedIds(deps.databaseUrl, dataDir);
  const { rps, rounds, ...summary } = summarize(each, 'the prototype');
  return {
    accepted_per_s: rps,
    ...summary,
    server_cpu_ms_per_accepted: median(each.map((r) => r.server_cpu_ms_per_accepted)),
    ...(deps.databaseUrl
      ? { database_cpu_ms_per_accepted: median(each.map((r) => r.database_cpu_ms_per_accepted)) }
      : { wal_synced: false }),
    rounds: rounds.map(({ rps: prototype, ...round }) => ({ ...round, prototype })),
    acknowledged_updates: acked.size,
    acknowledged_not_stored: [...acked].filter((id) => !stored.has(id)).length,
  };
}
