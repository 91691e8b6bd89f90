/**
 * The ingest prototype (bench/prototype-ingest.ts) under the front tier's load and frame: interleaved
 * rounds of the raw node:http baseline and the prototype, the ratio taken within each round, then its database
 * counted (every acknowledged update stored once).
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { LOOPBACK_BENCH_SECRET, loopbackRequest, loopbackUpdateId } from './engine-scenarios.ts';
import { ingestRounds, readDatabase, type RoundsDeps, summarizeIngest } from './front-tier-scenario.ts';
import { measureWebhookIngest } from './webhook-load.ts';

/** Update ids of round r (WARMUP_ROUND for the warm-up): as long as 'bench', so bodies keep the baseline's size. */
const prefixOf = (round: number) => `pro${round % 10}x`;

export type PrototypeDeps = RoundsDeps & {
  spawn: (env: Record<string, string>) => { child: ChildProcess; firstLine: Promise<string> };
};

export async function measurePrototype(deps: PrototypeDeps) {
  const dataDir = path.join(deps.dataDir, 'prototype');
  const started = deps.spawn({
    PROTO_SECRET: LOOPBACK_BENCH_SECRET,
    ...(deps.databaseUrl ? { PROTO_DATABASE_URL: deps.databaseUrl } : { PROTO_DATA_DIR: dataDir }),
  });
  const url = `http://127.0.0.1:${(JSON.parse(await started.firstLine) as { port: number }).port}`;
  const acked = new Set<string>();
  const each = await ingestRounds(deps, started.child, (round) =>
    measureWebhookIngest(
      url,
      deps.durationS,
      deps.connections,
      (n) => loopbackRequest(n, prefixOf(round)),
      (n) => acked.add(loopbackUpdateId(n, prefixOf(round))),
    ),
  );
  const rows = await readDatabase<{ event_id: string }>(
    deps.databaseUrl,
    dataDir,
    'select event_id from proto_events',
  );
  const stored = new Set(rows.map((row) => row.event_id));
  return {
    ...summarizeIngest(each, 'the prototype', 'prototype', deps.databaseUrl),
    ...(deps.databaseUrl ? {} : { wal_synced: false }),
    acknowledged_updates: acked.size,
    acknowledged_not_stored: [...acked].filter((id) => !stored.has(id)).length,
  };
}
