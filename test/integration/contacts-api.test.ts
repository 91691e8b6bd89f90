import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegram } from '../helpers/fake-telegram.ts';
import { addMember, registerUser, type TestUser } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { randomSecret, secret } from '../helpers/secrets.ts';
import { WhatsAppHarness } from '../helpers/whatsapp-app.ts';

/**
 * One agent on WhatsApp (Meta, fake Graph API) and Telegram (fake Bot API): a phone number links when
 * WhatsApp vouches for it (wa_id) and Telegram does (a contact the user shared about themself); and the
 * Contacts API: search, detail, manual merge and split (every message and count kept), the merge audit,
 * role checks.
 */

const wa = new WhatsAppHarness();
let tg: FakeTelegram;
let viewer: TestUser;
let member: TestUser;
let outsider: TestUser;
let nextTelegramUser = 5_550_000_000 + Math.floor(Math.random() * 1e6);

beforeAll(async () => {
  const token = secret(
    `${730000 + Math.floor(Math.random() * 1e5)}:${randomBytes(24).toString('base64url')}`,
  );
  tg = await new FakeTelegram(token, 'link_bot').start();
  await wa.start({
    TELEGRAM_API_ROOT: tg.url,
    PUBLIC_URL: 'https://bot.example.com',
    TURN_DEBOUNCE_MS: 'whatsapp=0,telegram=0',
  });
  await wa.configure();
  tg.deliverTo = (url) => `${wa.app.url}${new URL(url).pathname}`;
  const put = await wa.app.call('PUT', channels(), {
    token: wa.ws.owner.token,
    body: { telegram: { enabled: true, bot_token: token, bot_username: 'link_bot' } },
  });
  expect(put.status, put.text).toBe(200);
  const setup = await wa.app.call('POST', `${channels()}/telegram/webhook/setup`, {
    token: wa.ws.owner.token,
    body: {},
  });
  expect(setup.status, setup.text).toBe(200);
  viewer = await registerUser(wa.app, 'viewer');
  member = await registerUser(wa.app, 'member');
  outsider = await registerUser(wa.app, 'outsider');
  await addMember(wa.app, wa.ws.owner, wa.ws.orgId, viewer, 'viewer');
  await addMember(wa.app, wa.ws.owner, wa.ws.orgId, member, 'member');
});

afterAll(async () => {
  await wa.close();
  await tg?.close();
});

function channels() {
  return `/api/v1/channels/organizations/${wa.ws.orgId}/projects/${wa.ws.projectId}/agents/${wa.ws.agentId}/channels`;
}

const call = (method: string, path: string, user: TestUser = wa.ws.owner, body?: unknown) =>
  wa.app.call(method, `${wa.base}${path}`, { token: user.token, ...(body === undefined ? {} : { body }) });
const ok = async (method: string, path: string, body?: unknown, status = 200) => {
  const res = await call(method, path, wa.ws.owner, body);
  expect(res.status, res.text).toBe(status);
  return res.body;
};

const telegramUser = (first_name: string) => ({ id: ++nextTelegramUser, first_name });

/** Delivers a Telegram update from `user` and waits until its message is stored and answered. */
async function telegram(user: { id: number; first_name: string }, text?: string, extra: object = {}) {
  const update = tg.textUpdate(user, text as string, extra);
  const before = tg.callsOf('sendMessage', user.id).length;
  expect(await tg.deliver(update)).toBe(200);
  await eventually(() => tg.callsOf('sendMessage', user.id).length > before || undefined, 30_000);
  const [row] = await wa.app.database.query<{ conversation_id: string }>(
    'select conversation_id from messages where provider_message_id = $1',
    [`${user.id}:${update.message.message_id}`],
  );
  return row?.conversation_id as string;
}

/** A WhatsApp text from `waId`, answered (the reply reached the fake Graph API). */
async function whatsapp(waId: string, body: string) {
  const before = wa.sentTo(waId).length;
  const { conversationId } = await wa.text(waId, body);
  await eventually(() => wa.sentTo(waId).length > before || undefined, 30_000);
  return conversationId;
}

const contactOfPlatformId = async (platformId: string) => {
  const list = await ok('GET', `/contacts?platform_id=${encodeURIComponent(platformId)}`);
  expect(list.data, platformId).toHaveLength(1);
  return list.data[0];
};

/** Every stored message id and the channel analytics: what merges and splits must leave untouched. */
const snapshot = async () => ({
  messages: (
    await wa.app.database.query<{ id: string }>('select id from messages where agent_id = $1 order by id', [
      wa.ws.agentId,
    ])
  ).map((row) => row.id),
  analytics: (await wa.app.call('GET', channels(), { token: wa.ws.owner.token })).body.data.analytics,
});

describe('linking on verified phone numbers (WhatsApp wa_id, own Telegram contact)', () => {
  it('a Telegram user who shares their own contact continues on WhatsApp from that number', async () => {
    const ana = telegramUser('Ana');
    const conversation = await telegram(ana, 'Hello on Telegram, I need a new charger.');
    // The keyboard's request_contact button sends the user's own contact: user_id is the sender.
    await telegram(ana, undefined, {
      contact: { phone_number: '15550001111', first_name: 'Ana', user_id: ana.id },
    });
    expect((await contactOfPlatformId(`telegram:${ana.id}`)).phone).toBe('+15550001111');

    expect(await whatsapp('15550001111', 'Writing from WhatsApp now.')).toBe(conversation);
    const turn = wa.turns.at(-1);
    expect(turn?.channel).toBe('whatsapp');
    expect(turn?.history.map((m) => m.channel)).toEqual(['telegram', 'telegram', 'telegram', 'telegram']);
    expect(turn?.history[0]?.content).toBe('Hello on Telegram, I need a new charger.');
    // The reply went to WhatsApp (the channel last written on), not to Telegram.
    expect(wa.sentTo('15550001111')).toHaveLength(1);
    expect(tg.callsOf('sendMessage', ana.id)).toHaveLength(2);

    const contact = await contactOfPlatformId('whatsapp:15550001111');
    expect(contact.identities.map((i: any) => [i.platform_user_id, i.verified.phone]).sort()).toEqual([
      [`telegram:${ana.id}`, '+15550001111'],
      ['whatsapp:15550001111', '+15550001111'],
    ]);
    const audit = await ok('GET', `/contact-merges?contact_id=${contact._id}`);
    expect(audit.data.map((m: any) => [m.kind, m.by])).toEqual([['link', 'auto:verified_phone']]);
    const detail = (await ok('GET', `/conversations/${conversation}`)).data;
    expect(detail.channel).toBe('whatsapp');
    expect(detail.channel_history.map((h: any) => h.channel)).toEqual(['telegram', 'whatsapp']);
  });

  it('a website visitor the host site verified by phone number continues on WhatsApp from it', async () => {
    const widgetSecret = randomSecret('widget-secret-');
    const put = await wa.app.call('PUT', channels(), {
      token: wa.ws.owner.token,
      body: { website: { enabled: true, widget_secret: widgetSecret } },
    });
    expect(put.status, put.text).toBe(200);
    const identifier = '+1 555 000 6666';
    const session = await wa.app.call('POST', `/api/v1/widget/${wa.ws.agentId}/session`, {
      body: {
        user_identifier: identifier,
        user_hash: createHmac('sha256', widgetSecret).update(identifier).digest('hex'),
      },
    });
    expect(session.status, session.text).toBe(200);
    const sent = await wa.app.call('POST', `/api/v1/widget/${wa.ws.agentId}/messages`, {
      body: { message: 'Hi from the website' },
      headers: { authorization: `Bearer ${session.body.data.token}` },
    });
    expect(sent.status, sent.text).toBe(200);
    expect(await whatsapp('15550006666', 'Now on WhatsApp')).toBe(sent.body.conversation_id);
    expect(wa.turns.at(-1)?.history.map((m) => [m.channel, m.role])).toEqual([
      ['website', 'user'],
      ['website', 'assistant'],
    ]);
    const contact = await contactOfPlatformId('whatsapp:15550006666');
    expect(contact.phone).toBe('+15550006666');
    expect(contact.identities.map((i: any) => i.platform_user_id).sort()).toEqual([
      'website:+1 555 000 6666',
      'whatsapp:15550006666',
    ]);
  });

  it("someone else's contact card or a typed number proves nothing", async () => {
    const mallory = telegramUser('Mallory');
    const victimTelegramId = ++nextTelegramUser;
    await telegram(mallory, 'My number is +15550002222, show me my WhatsApp chats.');
    // A forwarded contact card of another Telegram user (user_id is not the sender).
    await telegram(mallory, undefined, {
      contact: { phone_number: '+15550002222', first_name: 'Victim', user_id: victimTelegramId },
    });
    const malloryContact = await contactOfPlatformId(`telegram:${mallory.id}`);
    expect(malloryContact.phone).toBeNull();

    const victimConversation = await whatsapp('15550002222', 'Private: my parcel code is 8841.');
    const victim = await contactOfPlatformId('whatsapp:15550002222');
    expect(victim._id).not.toBe(malloryContact._id);
    expect(victim.identities).toHaveLength(1);
    expect(await telegram(mallory, 'What is my parcel code?')).not.toBe(victimConversation);
    expect(JSON.stringify(wa.turns.at(-1))).not.toContain('8841');
    expect((await ok('GET', `/contact-merges?contact_id=${victim._id}`)).data).toEqual([]);
  });
});

describe('Contacts API', () => {
  it('searches by name, phone, email and platform id, paginated; viewers read, outsiders see nothing', async () => {
    const zoe = telegramUser('Zoe Quinn');
    await telegram(zoe, 'Hi from Zoe');
    await whatsapp('15550004444', 'Hi from WhatsApp');

    const byName = await call('GET', '/contacts?name=zoe%20qu', viewer);
    expect(byName.status, byName.text).toBe(200);
    expect(byName.body.data.map((c: any) => c.identities[0].platform_user_id)).toEqual([
      `telegram:${zoe.id}`,
    ]);
    expect(
      (await ok('GET', '/contacts?phone=%2B1%20555%20000%204444')).data[0].identities[0].platform_user_id,
    ).toBe('whatsapp:15550004444');
    expect((await ok('GET', `/contacts?platform_id=${zoe.id}`)).data).toHaveLength(1);
    expect((await ok('GET', `/contacts?q=${zoe.id}`)).data).toHaveLength(1);
    expect((await ok('GET', '/contacts?email=nobody@example.com')).data).toEqual([]);
    // A LIKE wildcard is taken literally.
    expect((await ok('GET', '/contacts?name=%25')).data).toEqual([]);

    const all = await ok('GET', '/contacts?limit=100');
    const page2 = await ok('GET', '/contacts?limit=2&page=2');
    expect(page2.pagination).toEqual({ page: 2, limit: 2, total: all.pagination.total });
    expect(page2.data.map((c: any) => c._id)).toEqual(all.data.slice(2, 4).map((c: any) => c._id));

    const doc = (await wa.app.call('GET', '/api/openapi.json')).body;
    const agentPaths = '/api/v1/organizations/{orgId}/projects/{projectId}/agents/{agentId}';
    for (const path of [
      'contacts',
      'contacts/{contactId}',
      'contacts/{contactId}/merge',
      'contacts/{contactId}/split',
      'contact-merges',
    ]) {
      expect(doc.paths, path).toHaveProperty([`${agentPaths}/${path}`]);
    }
    expect(doc.components.schemas.ChannelConfigurationUpdate.properties.contact_linking.enum).toEqual([
      'verified',
      'off',
    ]);

    expect((await call('GET', '/contacts', outsider)).status).toBe(404);
    expect((await call('GET', '/contact-merges', outsider)).status).toBe(404);
    expect((await call('GET', '/contacts?limit=1000')).status).toBe(400);
  });

  it('merges two contacts and splits an identity back out, keeping every message and count; both audited', async () => {
    const sam = telegramUser('Sam');
    const telegramConversation = await telegram(sam, 'Sam on Telegram');
    const whatsappConversation = await whatsapp('15550005555', 'Sam on WhatsApp');
    await whatsapp('15550005555', 'Sam again on WhatsApp');
    const target = await contactOfPlatformId('whatsapp:15550005555');
    const source = await contactOfPlatformId(`telegram:${sam.id}`);
    const before = await snapshot();

    // Role checks: viewers read but never write; outsiders see nothing.
    expect((await call('GET', `/contacts/${target._id}`, viewer)).status).toBe(200);
    expect(
      (await call('POST', `/contacts/${target._id}/merge`, viewer, { contact_id: source._id })).status,
    ).toBe(403);
    expect(
      (await call('POST', `/contacts/${target._id}/split`, viewer, { identity_id: target.identities[0]._id }))
        .status,
    ).toBe(403);
    expect(
      (await call('POST', `/contacts/${target._id}/merge`, outsider, { contact_id: source._id })).status,
    ).toBe(404);
    // Bad requests.
    const missing = await call('POST', `/contacts/${target._id}/merge`, member, {});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain('contact_id');
    expect(
      (await call('POST', `/contacts/${target._id}/merge`, member, { contact_id: target._id })).status,
    ).toBe(409);
    expect(
      (await call('POST', `/contacts/${target._id}/merge`, member, { contact_id: 'contact_nope' })).status,
    ).toBe(404);
    expect(
      (await call('POST', `/contacts/${target._id}/split`, member, { identity_id: target.identities[0]._id }))
        .status,
    ).toBe(409);

    const merged = await call('POST', `/contacts/${target._id}/merge`, member, { contact_id: source._id });
    expect(merged.status, merged.text).toBe(200);
    expect(merged.body.data.merge).toMatchObject({
      kind: 'merge',
      target_contact: target._id,
      source_contact: source._id,
      by: member.id,
      identities: [source.identities[0]._id],
      conversations: [telegramConversation],
      message_count: 2,
    });
    const contact = merged.body.data.contact;
    expect(contact.identities.map((i: any) => i.platform_user_id).sort()).toEqual([
      `telegram:${sam.id}`,
      'whatsapp:15550005555',
    ]);
    expect(contact.conversation_count).toBe(2);
    // Both were active: the most recently active (WhatsApp) goes on, the other is closed.
    expect(merged.body.data.merge.closed_conversations).toEqual([telegramConversation]);
    const closedEvents = await wa.app.database.query<{ data: unknown }>(
      `select data from agent_events where type = 'conversation.closed' and conversation_id = $1`,
      [telegramConversation],
    );
    expect(closedEvents.map((e) => e.data)).toEqual([{ reason: 'contact_merged' }]);
    expect(Object.fromEntries(contact.conversations.map((c: any) => [c._id, c.status]))).toEqual({
      [whatsappConversation]: 'active',
      [telegramConversation]: 'closed',
    });
    expect(await snapshot()).toEqual(before);
    const gone = await call('GET', `/contacts/${source._id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.details).toEqual({ merged_into: target._id });
    const events = await wa.app.database.query<{ contact_id: string; data: any }>(
      `select contact_id, data from agent_events where type = 'contact.merged' and data->>'merge_id' = $1`,
      [merged.body.data.merge._id],
    );
    expect(events).toEqual([
      {
        contact_id: target._id,
        data: {
          merge_id: merged.body.data.merge._id,
          kind: 'merge',
          source_contact_id: source._id,
          by: member.id,
        },
      },
    ]);

    // The next Telegram message joins the merged contact's active (WhatsApp) conversation.
    expect(await telegram(sam, 'Sam back on Telegram')).toBe(whatsappConversation);
    const beforeSplit = await snapshot();

    const telegramIdentity = contact.identities.find((i: any) => i.channel === 'telegram');
    const split = await call('POST', `/contacts/${target._id}/split`, member, {
      identity_id: telegramIdentity._id,
    });
    expect(split.status, split.text).toBe(201);
    const parted = split.body.data.contact;
    expect(split.body.data.merge).toMatchObject({
      kind: 'split',
      source_contact: target._id,
      target_contact: parted._id,
      by: member.id,
      identities: [telegramIdentity._id],
      // Only the conversation that was Telegram's alone moves; the mixed one stays.
      conversations: [telegramConversation],
      message_count: 2,
    });
    expect(parted.identities.map((i: any) => i.platform_user_id)).toEqual([`telegram:${sam.id}`]);
    expect(parted.identities[0].unlinked_at).not.toBeNull();
    expect(parted.conversations.map((c: any) => c._id)).toEqual([telegramConversation]);
    const remaining = (await ok('GET', `/contacts/${target._id}`)).data;
    expect(remaining.identities.map((i: any) => i.platform_user_id)).toEqual(['whatsapp:15550005555']);
    expect(remaining.conversations.map((c: any) => c._id)).toEqual([whatsappConversation]);
    expect(await snapshot()).toEqual(beforeSplit);

    // An identity split out by an operator is never linked automatically again, even on a verified phone.
    await telegram(sam, undefined, {
      contact: { phone_number: '+15550005555', first_name: 'Sam', user_id: sam.id },
    });
    expect((await ok('GET', `/contacts/${parted._id}`)).data.identities).toHaveLength(1);

    const audit = await call('GET', `/contact-merges?contact_id=${target._id}`, viewer);
    expect(audit.status).toBe(200);
    expect(audit.body.data.map((m: any) => [m.kind, m.by])).toEqual([
      ['split', member.id],
      ['merge', member.id],
    ]);
    expect(audit.body.data[1].source).toMatchObject({ display_name: 'Sam' });
    expect((await ok('GET', '/contact-merges?limit=1')).pagination.total).toBeGreaterThanOrEqual(3);
  });
});

describe('concurrent merges', () => {
  it('of the same two contacts, in both directions at once: exactly one wins, the rest are 404, nothing lost', async () => {
    await whatsapp('15550007777', 'First person');
    await whatsapp('15550008888', 'Second person');
    const a = await contactOfPlatformId('whatsapp:15550007777');
    const b = await contactOfPlatformId('whatsapp:15550008888');
    const before = await snapshot();
    const results = await Promise.all(
      [
        [a, b],
        [b, a],
        [a, b],
        [b, a],
      ].map(([target, source]) =>
        call('POST', `/contacts/${target._id}/merge`, member, { contact_id: source._id }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 404, 404, 404]);
    const winner = results.find((r) => r.status === 200)?.body.data.contact;
    expect(winner.identities).toHaveLength(2);
    expect(winner.conversation_count).toBe(2);
    expect(await snapshot()).toEqual(before);
  });
});

describe('erasing a contact (privacy request)', () => {
  it('deletes the person everywhere, leaves everyone else and the counts alone, and audits only counts', async () => {
    const waId = '15550009999';
    const conversationId = await whatsapp(waId, 'please forget me');
    const other = telegramUser('Kept');
    const otherConversation = await telegram(other, 'I stay');
    const contact = await contactOfPlatformId(`whatsapp:${waId}`);
    const [identity] = await wa.app.database.query<{ channel: string; platform_user_id: string }>(
      'select channel, platform_user_id from contact_identities where contact_id = $1',
      [contact._id],
    );
    const stream = `user:${identity?.platform_user_id}`;
    const countOf = async (sql: string, params: unknown[]) =>
      (await wa.app.database.query<{ n: number }>(sql, params))[0]?.n;
    expect(
      await countOf('select count(*)::int as n from inbound_events where agent_id = $1 and stream = $2', [
        wa.ws.agentId,
        stream,
      ]),
    ).toBeGreaterThan(0);
    const analyticsBefore = (await wa.app.call('GET', channels(), { token: wa.ws.owner.token })).body.data
      .analytics;

    expect((await call('DELETE', `/contacts/${contact._id}`, member)).status).toBe(403);
    expect((await call('DELETE', `/contacts/${contact._id}`, viewer)).status).toBe(403);
    expect((await call('DELETE', `/contacts/${contact._id}`, outsider)).status).toBe(404);
    const erased = await ok('DELETE', `/contacts/${contact._id}`);
    expect(erased.data.erased).toMatchObject({ identities: 1, conversations: 1 });
    expect(erased.data.erased.messages).toBeGreaterThanOrEqual(2);
    expect(erased.data.erased.inbound_events).toBeGreaterThan(0);

    expect((await call('GET', `/contacts/${contact._id}`)).status).toBe(404);
    expect(
      await countOf('select count(*)::int as n from messages where conversation_id = $1', [conversationId]),
    ).toBe(0);
    expect(
      await countOf('select count(*)::int as n from inbound_events where agent_id = $1 and stream = $2', [
        wa.ws.agentId,
        stream,
      ]),
    ).toBe(0);
    expect(
      await countOf(
        'select count(*)::int as n from agent_events where conversation_id = $1 or contact_id = $2',
        [conversationId, contact._id],
      ),
    ).toBe(0);
    // Someone else's conversation is untouched; analytics keep their counts.
    expect(
      await countOf('select count(*)::int as n from messages where conversation_id = $1', [
        otherConversation,
      ]),
    ).toBeGreaterThanOrEqual(2);
    expect((await wa.app.call('GET', channels(), { token: wa.ws.owner.token })).body.data.analytics).toEqual(
      analyticsBefore,
    );
    const audit = await ok('GET', `/contact-merges?contact_id=${contact._id}`);
    expect(audit.data).toHaveLength(1);
    expect(audit.data[0]).toMatchObject({ kind: 'erase', by: wa.ws.owner.id, source: null });
    expect(JSON.stringify(audit.data[0])).not.toContain(waId);
    expect((await call('DELETE', `/contacts/${contact._id}`)).status).toBe(404);
  });
});
