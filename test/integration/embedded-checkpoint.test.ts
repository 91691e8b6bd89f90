import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCheckpoint } from '../../src/db/embedded-checkpoint.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { testDatabaseKind } from '../helpers/database.ts';
import { createWorkspace } from '../helpers/fixtures.ts';
import { maintenanceTimed } from '../helpers/maintenance-metric.ts';

let app: TestApp;
let agentId: string;
const MB = 1024 * 1024;

beforeAll(async () => {
  if (testDatabaseKind() !== 'pglite') return;
  app = await startTestApp();
  ({ agentId } = await createWorkspace(app, 'checkpoint'));
});
afterAll(() => app?.close());

/** Where crash recovery would start replaying: the last checkpoint's redo point. */
const redo = async () =>
  (await app.database.query<{ lsn: string }>(`select redo_lsn::text as lsn from pg_control_checkpoint()`))[0]
    ?.lsn;

/** Writes at least `mb` MB of WAL: events with incompressible ~1 KB payloads. */
async function writeWal(tag: string, mb: number) {
  await app.database.query(
    `insert into inbound_events (id, agent_id, channel, provider_event_id, stream, payload)
     select $1 || g, $2, 'loopback', $1 || g, 'user:x',
            jsonb_build_object('t', (select string_agg(md5(g::text || i::text), '') from generate_series(1, 32) i))
     from generate_series(1, $3::int) g`,
    [tag, agentId, mb * 1000],
  );
}

// The embedded database only: on PostgreSQL other databases of the cluster write WAL and its own checkpointer runs.
describe.runIf(testDatabaseKind() === 'pglite')('embedded checkpoint', () => {
  it('checkpoints once enough WAL was written since the last one, and not again without new WAL', async () => {
    let clock = 0;
    const checkpoint = new EmbeddedCheckpoint(app.database, { walBytes: 4 * MB, now: () => clock });
    await app.database.query('checkpoint');
    const before = await redo();
    await writeWal('small-', 1);
    expect(await checkpoint.checkpointIfDue()).toBe(false);
    expect(await redo()).toBe(before);
    await writeWal('large-', 5);
    const timed = await maintenanceTimed('checkpoint');
    expect(await checkpoint.checkpointIfDue()).toBe(true);
    expect(await maintenanceTimed('checkpoint')).toBe(timed + 1);
    const after = await redo();
    expect(after).not.toBe(before);
    clock += 10 * 60_000;
    expect(await checkpoint.checkpointIfDue()).toBe(false);
    expect(await redo()).toBe(after);
  });

  it('checkpoints on age when WAL was written, however little', async () => {
    let clock = 0;
    const checkpoint = new EmbeddedCheckpoint(app.database, { maxAgeMs: 60_000, now: () => clock });
    await app.database.query('checkpoint');
    const before = await redo();
    await writeWal('aged-', 2);
    clock += 30_000;
    expect(await checkpoint.checkpointIfDue()).toBe(false);
    clock += 30_000;
    expect(await checkpoint.checkpointIfDue()).toBe(true);
    expect(await redo()).not.toBe(before);
  });
});
