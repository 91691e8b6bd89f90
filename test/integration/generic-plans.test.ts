import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { LINKED_CONTACTS_SQL } from '../../src/contacts/link.ts';
import { CONTACT_CONVERSATIONS_SQL } from '../../src/contacts/routes.ts';
import { LIST_FACTS_SQL } from '../../src/conversations/inbox-facts.ts';
import { FIND_IDENTITY_SQL, THREAD_PARENTS_SQL } from '../../src/engine/conversation-store.ts';
import { DUE_EVENTS_SQL, PROCESSED_EVENTS_SQL } from '../../src/engine/inbound.ts';
import { CLOSE_IDLE_SQL } from '../../src/engine/recovery.ts';
import { PROCESSED_EVENTS_RETENTION, pruneBatchSql } from '../../src/engine/retention.ts';
import { AGENT_EVENTS_RETENTION } from '../../src/events/retention.ts';
import { RELEASE_HELD_SQL } from '../../src/engine/window-hold.ts';
import { STATUS_BATCH_SQL } from '../../src/engine/status-batch.ts';
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

  it('the idle sweep reads active conversations by their last activity, not the whole table', async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (timestamptz, timestamptz) as ${CLOSE_IDLE_SQL}`,
      `execute generic_plan_probe (now(), now() - interval '1 day')`,
    );
    expect(plan).toMatch(/Index Scan using conversations_active_last_activity_idx/);
    expect(plan).not.toMatch(/Seq Scan on conversations/);
  });

  it("a known sender's identity, its contact's active conversation and other holders of its proofs are found by index", async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (text, text, text, text, text, text, text, timestamptz, text, text, text, text,
                                   text, text) as ${FIND_IDENTITY_SQL}`,
      `execute generic_plan_probe ('agt_x', 'loopback', 'u1', 'u1', null, 'a@b.example', '+15550001111', now(), 'create',
                                   'ctc_n', 'idt_n', null, 'cnv_n', 'loopback:u1')`,
    );
    expect(plan).toMatch(/Index Scan using contact_identities_platform_unique/);
    expect(plan).toMatch(/Index Scan using conversations_one_active_per_contact/);
    expect(plan).toMatch(/Index Scan using contact_identities_verified_email_idx/);
    expect(plan).toMatch(/Index Scan using contact_identities_verified_phone_idx/);
    expect(plan).not.toMatch(
      /conversations_active_last_activity_idx|Seq Scan on (conversations|contact_identities)/,
    );
  });

  it('the contacts holding a proven email or phone are found by the proof indexes, not by the agent', async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (text, text, text, text) as ${LINKED_CONTACTS_SQL}`,
      `execute generic_plan_probe ('agt_x', 'a@b.example', '+15550001111', 'ctc_x')`,
    );
    expect(plan).toMatch(/Index Scan using contact_identities_verified_email_idx/);
    expect(plan).toMatch(/Index Scan using contact_identities_verified_phone_idx/);
    expect(plan).not.toMatch(/contact_identities_platform_unique|Seq Scan on contact_identities/);
  });

  it("a contact's conversations are read by contact, newest first, off an index", async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (text) as ${CONTACT_CONVERSATIONS_SQL}`,
      `execute generic_plan_probe ('ctc_x')`,
    );
    expect(plan).toMatch(/Index Scan Backward using conversations_contact_activity_idx/);
    expect(plan).not.toMatch(/Sort|Seq Scan on conversations/);
  });

  it("releasing a contact's held replies looks its conversations up by contact", async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (text, text, text) as ${RELEASE_HELD_SQL}`,
      `execute generic_plan_probe ('agt_x', 'whatsapp', 'ctc_x')`,
    );
    expect(plan).toMatch(/Index Scan using messages_held_idx/);
    expect(plan).toMatch(/Index Scan using conversations_contact_activity_idx/);
    expect(plan).not.toMatch(/Seq Scan on (conversations|messages)/);
  });

  it('a retention batch of events deletes the rows it picked by primary key, not by scanning the table', async () => {
    // Not raw_mails: on an empty table its wide rows make a scan look cheaper than the index, whatever the form.
    for (const spec of [PROCESSED_EVENTS_RETENTION, AGENT_EVENTS_RETENTION]) {
      const plan = await genericPlan(
        `prepare generic_plan_probe (timestamptz, int) as ${pruneBatchSql(spec)}`,
        `execute generic_plan_probe (now(), 1000)`,
      );
      expect(plan).toMatch(new RegExp(`Index Scan on ${spec.table}_pkey`));
      expect(plan).not.toMatch(new RegExp(`Seq Scan on ${spec.table}`));
    }
  });

  it("reading several streams' due events uses the pending-events index", async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (text[], text[], text[], int[], timestamptz) as ${DUE_EVENTS_SQL}`,
      `execute generic_plan_probe (array['agt_x', 'agt_x'], array['loopback', 'loopback'],
                                   array['user:x', 'user:y'], array[50, 50], now())`,
    );
    expect(plan).toMatch(/Index Scan using inbound_events_pending_idx/);
    expect(plan).not.toMatch(/Seq Scan on inbound_events/);
  });

  it("marking several streams' events processed finds each by its primary key, not the agent's pending events", async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (text[]) as ${PROCESSED_EVENTS_SQL}`,
      `execute generic_plan_probe (array['ev_a', 'ev_b'])`,
    );
    expect(plan).toMatch(/Index Scan (using|on) inbound_events_pkey/);
    expect(plan).not.toMatch(/inbound_events_pending_idx|Seq Scan on inbound_events/);
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

  it("an email's parent messages are looked up one id at a time, by provider id and by our id", async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (text, text, text[], text, text[]) as ${THREAD_PARENTS_SQL}`,
      `execute generic_plan_probe ('agt_x', 'email', array['<a@x>'], 'ctc_x', array['msg_a'])`,
    );
    expect(plan).toMatch(/Index Scan using messages_provider_id_unique/);
    expect(plan).toMatch(/Index Scan using messages_pkey/);
    expect(plan).toMatch(/Index Scan using conversations_pkey/);
    expect(plan).not.toMatch(/Seq Scan on (messages|conversations)/);
    expect(plan).not.toMatch(/messages_agent_created_idx/);
  });

  it("an inbox page's conversations, contacts and last messages are looked up by index", async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (text[], int) as ${LIST_FACTS_SQL}`,
      `execute generic_plan_probe (array['cnv_a', 'cnv_b'], 80)`,
    );
    expect(plan).toMatch(/Index Scan using conversations_pkey/);
    expect(plan).toMatch(/Index Scan using contacts_pkey/);
    expect(plan).toMatch(/messages_conversation_seq_idx/);
    expect(plan).not.toMatch(/Seq Scan on (conversations|contacts|messages)/);
  });

  it("a status batch finds each status's message by its provider id or our id", async () => {
    const plan = await genericPlan(
      `prepare generic_plan_probe (text, text, jsonb) as ${STATUS_BATCH_SQL}`,
      `execute generic_plan_probe ('agt_x', 'whatsapp', '[]'::jsonb)`,
    );
    expect(plan).toMatch(
      /Index Scan using messages_provider_id_unique[^\n]*\n\s*Index Cond: \(\(agent_id = \$1\) AND \(channel = \$2\) AND \(provider_message_id = i\.match_id\)\)/,
    );
    expect(plan).toMatch(/Index Scan using messages_pkey[^\n]*\n\s*Index Cond: \(id = i_1\.match_id\)/);
    expect(plan).not.toMatch(/messages_agent_created_idx/);
  });
});
