import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { PROCESSED_EVENTS_SQL } from '../../src/engine/inbound.ts';
import { PUBLISH_EVENTS_SQL } from '../../src/events/publish.ts';
import { pendingOfConversationSql } from '../../src/engine/pending-sql.ts';
import { createTestDatabase } from '../helpers/database.ts';

/**
 * Our statements are prepared (named) and PostgreSQL caches a generic plan for them per connection. A generic plan
 * made while a table is nearly empty is kept as the table grows, so a condition that only a sequential scan serves
 * cheaply on a small table (`id = any($1)`) scans the whole table on every run after a burst. These hot
 * statements must stay on an index under a generic plan on an empty, never-analyzed database.
 */
let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

async function genericPlan(prepare: string, execute: string): Promise<string> {
  return database.transaction(async (query) => {
    await query('set local plan_cache_mode = force_generic_plan');
    await query(prepare);
    try {
      const rows = await query<{ 'QUERY PLAN': string }>(`explain ${execute}`);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    } finally {
      await query('deallocate generic_plan_probe');
    }
  });
}

describe('hot statements under a generic plan on an empty database', () => {
  it("marking a turn's pending messages answered uses the pending-inbound index", async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (text, text[], timestamptz) as
         update messages set answered_at = $3, updated_at = $3 where ${pendingOfConversationSql('$1', '$2')}`,
      `execute generic_plan_probe ('cnv_x', array['msg_a', 'msg_b'], now())`,
    );
    expect(plan).toMatch(/Index Scan using messages_pending_inbound_idx/);
    expect(plan).not.toMatch(/Seq Scan on messages/);
  });

  it("marking a stream's events processed uses the pending-events index", async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (text[], text, text, text) as ${PROCESSED_EVENTS_SQL}`,
      `execute generic_plan_probe (array['ev_a'], 'agt_x', 'loopback', 'user:x')`,
    );
    expect(plan).toMatch(/Index Scan using inbound_events_pending_idx/);
    expect(plan).not.toMatch(/Seq Scan on inbound_events/);
  });

  it("publishing events looks up each event's agent and its organization's webhooks by index", async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (jsonb, text, text) as ${PUBLISH_EVENTS_SQL}`,
      `execute generic_plan_probe ('[]'::jsonb, 'agent_events', ';webhooks')`,
    );
    expect(plan).toMatch(/Index Scan using agents_pkey/);
    expect(plan).toMatch(/Index Scan using event_webhooks_org_idx/);
    expect(plan).not.toMatch(/Seq Scan on (agents|event_webhooks)/);
  });
});
