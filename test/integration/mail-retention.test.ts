import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRUNE_BATCH, pruneProcessedMail } from '../../src/engine/retention.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWorkspace } from '../helpers/fixtures.ts';

let app: TestApp;
let agentId: string;
const DAY = 86_400_000;
const now = new Date('2026-11-29T12:00:00Z');

beforeAll(async () => {
  app = await startTestApp();
  ({ agentId } = await createWorkspace(app, 'mail-retention'));
});
afterAll(() => app?.close());

/** Inserts `count` raw mails with `status`, processed (and received) `ageDays` ago; ids prefixed by `tag`. */
async function mails(tag: string, count: number, ageDays: number, status: string) {
  const at = new Date(now.getTime() - ageDays * DAY);
  await app.database.query(
    `insert into raw_mails (id, agent_id, dedupe_key, source, size, raw, status, received_at, processed_at)
     select $1 || g, $2, $1 || g, 'webhook', 5, '\\x6d61696c'::bytea, $3, $4::timestamptz,
       case when $3::text <> 'pending' then $4::timestamptz end
     from generate_series(1, $5) g`,
    [tag, agentId, status, at, count],
  );
}

const left = async (tag: string) =>
  (
    await app.database.query<{ n: number }>(
      `select count(*)::int as n from raw_mails where id like $1 || '%'`,
      [tag],
    )
  )[0]?.n;

describe('raw mail retention', () => {
  it('deletes processed mail past the retention in bounded batches, and keeps recent and pending mail', async () => {
    await mails('rm-old-', PRUNE_BATCH + 500, 40, 'accepted');
    await mails('rm-rejected-', 7, 40, 'rejected');
    await mails('rm-recent-', 5, 2, 'accepted');
    await mails('rm-pending-', 3, 60, 'pending');
    expect(await pruneProcessedMail(app.database, 30 * DAY, now)).toBe(PRUNE_BATCH + 507);
    expect(await left('rm-old-')).toBe(0);
    expect(await left('rm-rejected-')).toBe(0);
    expect(await left('rm-recent-')).toBe(5);
    expect(await left('rm-pending-')).toBe(3);
    expect(await pruneProcessedMail(app.database, 30 * DAY, now)).toBe(0);
  });

  it('has the partial index on processed_at that pruning walks', async () => {
    const indexes = await app.database.query<{ indexdef: string }>(
      `select indexdef from pg_indexes where indexname = 'raw_mails_processed_at_idx'`,
    );
    expect(indexes[0]?.indexdef).toMatch(/\(processed_at\) WHERE \(status <> 'pending'/);
  });
});
