import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { pruneProcessedEvents } from '../../src/engine/retention.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWorkspace } from '../helpers/fixtures.ts';

let app: TestApp;
let agentId: string;
const DAY = 86_400_000;
const now = new Date('2026-11-29T12:00:00Z');

beforeAll(async () => {
  app = await startTestApp();
  ({ agentId } = await createWorkspace(app, 'retention'));
});
afterAll(() => app?.close());

/** Inserts `count` events processed `ageDays` ago (or unprocessed), with ids prefixed by `tag`. */
async function events(tag: string, count: number, ageDays: number, processed = true) {
  await app.database.query(
    `insert into inbound_events (id, agent_id, channel, provider_event_id, stream, payload, processed, processed_at, received_at)
     select $1 || g, $2, 'loopback', $1 || g, 'user:x', '{}'::jsonb, $3, $4, $5
     from generate_series(1, $6) g`,
    [
      tag,
      agentId,
      processed,
      processed ? new Date(now.getTime() - ageDays * DAY) : null,
      new Date(now.getTime() - ageDays * DAY),
      count,
    ],
  );
}

const left = async (tag: string) =>
  (
    await app.database.query<{ n: number }>(
      `select count(*)::int as n from inbound_events where id like $1 || '%'`,
      [tag],
    )
  )[0]?.n;

describe('inbound event retention', () => {
  it('deletes processed events past the retention in batches, and keeps recent and unprocessed ones', async () => {
    await events('old-', 2500, 40);
    await events('recent-', 5, 2);
    await events('pending-', 3, 60, false);
    expect(await pruneProcessedEvents(app.database, 30 * DAY, now)).toBe(2500);
    expect(await left('old-')).toBe(0);
    expect(await left('recent-')).toBe(5);
    expect(await left('pending-')).toBe(3);
    expect(await pruneProcessedEvents(app.database, 30 * DAY, now)).toBe(0);
  });

  it('refuses a retention shorter than the providers’ redelivery window', () => {
    expect(() => loadConfig({ INBOUND_EVENT_RETENTION: '1d' })).toThrow(
      /INBOUND_EVENT_RETENTION: must be at least 8d/,
    );
    expect(loadConfig({ INBOUND_EVENT_RETENTION: '14d' }).INBOUND_EVENT_RETENTION).toBe(14 * 86_400);
  });
});
