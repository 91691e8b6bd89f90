import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedVacuum } from '../../src/db/embedded-vacuum.ts';
import { pruneProcessedEvents } from '../../src/engine/retention.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { testDatabaseKind } from '../helpers/database.ts';
import { createWorkspace } from '../helpers/fixtures.ts';

let app: TestApp;
let agentId: string;
const DAY = 86_400_000;

beforeAll(async () => {
  // The engine's own vacuum is off here: the test drives the vacuum itself.
  app = await startTestApp({ EMBEDDED_VACUUM_INTERVAL_MS: '0' }, undefined, { engine: {} });
  ({ agentId } = await createWorkspace(app, 'vacuum'));
});
afterAll(() => app?.close());

const eventsSize = async () =>
  Number((await app.database.query<{ n: string }>(`select pg_relation_size('inbound_events') as n`))[0]?.n);

/** Dead rows of inbound_events the last vacuum left (pg_stat_user_tables: set by the vacuum itself). */
const deadRows = async () =>
  Number(
    (
      await app.database.query<{ n: string }>(
        `select n_dead_tup as n from pg_stat_user_tables where relname = 'inbound_events'`,
      )
    )[0]?.n ?? 0,
  );

/** 3,000 processed events 40 days old with ~1 KB payloads, then retention deletes them. */
async function churn(round: number) {
  await app.database.query(
    `insert into inbound_events (id, agent_id, channel, provider_event_id, stream, payload, processed, processed_at, received_at)
     select $1 || g, $2, 'loopback', $1 || g, 'user:x', jsonb_build_object('t', repeat('x', 1000)), true, $3, $3
     from generate_series(1, 3000) g`,
    [`churn${round}-`, agentId, new Date(Date.now() - 40 * DAY)],
  );
  expect(await pruneProcessedEvents(app.database, 30 * DAY, new Date())).toBe(3000);
}

/** Calls vacuumNext until it has done `table` (bounded by the number of tables). */
async function vacuumThrough(vacuum: EmbeddedVacuum, table: string) {
  for (let call = 0; call < 500; call++) {
    if ((await vacuum.vacuumNext())?.name === table) return;
  }
  throw new Error(`${table} was never vacuumed`);
}

describe('embedded vacuum', () => {
  it('lets pruned rows’ space be reused: the table stops growing with churn', async () => {
    const vacuum = new EmbeddedVacuum(app.database);
    const sizes: number[] = [];
    for (let round = 0; round < 5; round++) {
      await churn(round);
      sizes.push(await eventsSize());
      await vacuumThrough(vacuum, 'inbound_events');
      // On a shared server another transaction's snapshot (the app's housekeeping, pg-boss's maintenance) can keep
      // the deleted rows a moment longer: vacuum again until they are gone, as the next cycle would.
      for (let again = 0; again < 20 && (await deadRows()) > 0; again++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        await vacuumThrough(vacuum, 'inbound_events');
      }
    }
    // Each round's rows are deleted before the next: without vacuum the table grows by a round's size every
    // round (five rounds: ~5× the first), with it the next round reuses the space.
    expect(sizes[0]).toBeGreaterThan(300_000);
    expect(sizes[4]).toBeLessThan((sizes[0] ?? 0) * 1.5);
  });

  it('goes through every table of ours and pg-boss’s in one cycle, analyzing each', async () => {
    const vacuum = new EmbeddedVacuum(app.database);
    const seen = new Set<string>();
    for (let call = 0; call < 500; call++) {
      const table = await vacuum.vacuumNext();
      if (!table) break;
      const key = `${table.schema}.${table.name}`;
      if (seen.has(key)) break;
      seen.add(key);
    }
    expect(seen).toContain('public.messages');
    expect(seen).toContain('public.inbound_events');
    expect(seen).toContain('pgboss.job');
    // A table never vacuumed nor analyzed has reltuples = -1; after the cycle, none of ours is.
    const never = await app.database.query<{ name: string }>(
      `select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind = 'r' and n.nspname in ('public', 'pgboss') and c.reltuples < 0`,
    );
    expect(never).toEqual([]);
  });

  it.runIf(testDatabaseKind() === 'pglite')('is run by the engine on the embedded database', async () => {
    const engineApp = await startTestApp({ EMBEDDED_VACUUM_INTERVAL_MS: '100' }, undefined, { engine: {} });
    try {
      const unvacuumed = async () =>
        (
          await engineApp.database.query<{ n: number }>(
            `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where c.relkind = 'r' and n.nspname = 'public' and c.reltuples < 0`,
          )
        )[0]?.n ?? 0;
      const before = await unvacuumed();
      expect(before).toBeGreaterThan(5);
      const deadline = Date.now() + 20_000;
      while ((await unvacuumed()) > before - 5 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await unvacuumed()).toBeLessThanOrEqual(before - 5);
    } finally {
      await engineApp.close();
    }
  });
});
