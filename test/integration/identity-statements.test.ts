import { afterAll, beforeAll, expect, it } from 'vitest';
import { openConversation, resolveIdentity } from '../../src/engine/conversation-store.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { statementRecorder } from '../helpers/database.ts';
import { createWorkspace } from '../helpers/fixtures.ts';

/**
 * A known sender's identity is found, its proofs recorded and its contact filled by one statement per message; a new
 * sender's contact and identity are created by that same statement.
 */
let app: TestApp;
let agentId: string;
const now = new Date('2026-03-01T10:00:00.000Z');

beforeAll(async () => {
  app = await startTestApp();
  ({ agentId } = await createWorkspace(app, 'identity'));
});
afterAll(async () => {
  await app?.close();
});

/** resolveIdentity in a transaction, with the statements it ran. */
const resolve = (sender: { platformUserId: string; chatId: string; phone?: string }, channel = 'whatsapp') =>
  app.database.transaction(async (query) => {
    const { statements, wrap } = statementRecorder();
    const identity = await resolveIdentity(wrap(query), agentId, channel, { sender }, now);
    return { identity, statements };
  });

it('records a known sender’s newly proved phone on the identity and the contact in the statement that finds it', async () => {
  const first = await resolve({ platformUserId: '4915100000001', chatId: '4915100000001' });
  // Created by the statement that looked for it; a contact created with its identity has no conversation to look up.
  expect(first.statements).toHaveLength(1);
  expect(first.identity.active).toBeNull();

  const again = await resolve({
    platformUserId: '4915100000001',
    chatId: '4915100000001',
    phone: '+4915100000001',
  });
  expect(again.identity.contactId).toBe(first.identity.contactId);
  // The find, with the proof, the contact's fill and the look for another contact holding the same proof (none).
  expect(again.statements).toHaveLength(1);
  const [identity] = await app.database.query<{ verified_phone: string }>(
    `select verified_phone from contact_identities where id = $1`,
    [first.identity.id],
  );
  expect(identity?.verified_phone).toBe('+4915100000001');
  const [contact] = await app.database.query<{ phone: string; phone_verified_at: Date }>(
    `select phone, phone_verified_at from contacts where id = $1`,
    [first.identity.contactId],
  );
  expect(contact?.phone).toBe('+4915100000001');
  expect(new Date(contact?.phone_verified_at as Date).toISOString()).toBe(now.toISOString());

  // Without proofs, a known sender costs the find alone.
  const plain = await resolve({ platformUserId: '4915100000001', chatId: '4915100000001' });
  expect(plain.statements).toHaveLength(1);
  expect(plain.identity.contactId).toBe(first.identity.contactId);
  expect(plain.identity.active).toBeNull();
});

it('reads the contact’s active conversation with the identity, so continuing it costs no statement', async () => {
  const sender = { platformUserId: '4915100000002', chatId: '4915100000002' };
  const opened = await app.database.transaction(async (query) => {
    const identity = await resolveIdentity(query, agentId, 'whatsapp', { sender }, now);
    return openConversation(query, { ...conversationInput(identity.contactId), active: identity.active });
  });
  const again = await resolve(sender);
  expect(again.identity.active?.id).toBe(opened.id);
  const recorded = await app.database.transaction(async (query) => {
    const { statements, wrap } = statementRecorder();
    const conversation = await openConversation(wrap(query), {
      ...conversationInput(again.identity.contactId),
      active: again.identity.active,
    });
    return { conversation, statements };
  });
  expect(recorded.conversation.id).toBe(opened.id);
  expect(recorded.statements).toEqual([]);
});

const conversationInput = (contactId: string) => ({
  agentId,
  contactId,
  userIdentifier: `whatsapp:${contactId}`,
  now,
  inactivityMs: 86_400_000,
});

it('re-keys an identity found by an alternate id, then records it like any known sender', async () => {
  const first = await resolve({ platformUserId: '4915100000003', chatId: '4915100000003' });
  const rekeyed = await app.database.transaction((query) =>
    resolveIdentity(
      query,
      agentId,
      'whatsapp',
      { sender: { platformUserId: 'DE.bsuid-3', chatId: 'DE.bsuid-3', alternateIds: ['4915100000003'] } },
      now,
    ),
  );
  expect(rekeyed.id).toBe(first.identity.id);
  expect(rekeyed.contactId).toBe(first.identity.contactId);
  const [row] = await app.database.query<{ platform_user_id: string; chat_id: string }>(
    `select platform_user_id, chat_id from contact_identities where id = $1`,
    [first.identity.id],
  );
  expect(row).toEqual({ platform_user_id: 'DE.bsuid-3', chat_id: 'DE.bsuid-3' });
});

it('opens a new contact’s first conversation in the statement that creates the contact, whatever the inactivity', async () => {
  const sender = { platformUserId: '4915100000004', chatId: '4915100000004' };
  const recorded = await app.database.transaction(async (query) => {
    const { statements, wrap } = statementRecorder();
    const identity = await resolveIdentity(wrap(query), agentId, 'whatsapp', { sender }, now, {
      userIdentifier: 'whatsapp:4915100000004',
    });
    // Even with every conversation closed at once (inactivity 0), the one just opened is the one to use.
    const conversation = await openConversation(wrap(query), {
      ...conversationInput(identity.contactId),
      inactivityMs: 0,
      active: identity.active,
    });
    return { identity, conversation, statements };
  });
  // The find (nothing yet) creates contact, identity and conversation; nothing from openConversation.
  expect(recorded.statements).toHaveLength(1);
  expect(recorded.identity.active?.id).toBe(recorded.conversation.id);
  const rows = await app.database.query<{
    id: string;
    contact_id: string;
    user_identifier: string;
    status: string;
    last_activity_at: Date;
  }>(
    `select id, contact_id, user_identifier, status, last_activity_at from conversations where contact_id = $1`,
    [recorded.identity.contactId],
  );
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({
    id: recorded.conversation.id,
    user_identifier: 'whatsapp:4915100000004',
    status: 'active',
  });
  expect(new Date(rows[0]!.last_activity_at).toISOString()).toBe(now.toISOString());
  // The next message finds that conversation with the identity.
  const again = await resolve(sender);
  expect(again.identity.active?.id).toBe(recorded.conversation.id);
});

it('creates nothing when another contact proved the same phone: the new identity joins that contact', async () => {
  const owner = await resolve({
    platformUserId: '4915100000005',
    chatId: '4915100000005',
    phone: '+4915100000005',
  });
  const contacts = async () =>
    (
      await app.database.query<{ n: number }>(`select count(*)::int as n from contacts where agent_id = $1`, [
        agentId,
      ])
    )[0]?.n;
  const before = await contacts();
  const joined = await resolve(
    { platformUserId: 'tg-5', chatId: 'tg-5', phone: '+4915100000005' },
    'telegram',
  );
  expect(joined.identity.contactId).toBe(owner.identity.contactId);
  expect(joined.identity.id).not.toBe(owner.identity.id);
  expect(await contacts()).toBe(before);
  // The find said another contact holds the proof, so linking looked further than that one statement.
  expect(joined.statements.length).toBeGreaterThan(1);
  const [identity] = await app.database.query<{ contact_id: string; channel: string }>(
    `select contact_id, channel from contact_identities where id = $1`,
    [joined.identity.id],
  );
  expect(identity).toEqual({ contact_id: owner.identity.contactId, channel: 'telegram' });
});
