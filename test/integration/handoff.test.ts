import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.ts';
import { FakeTelegram } from '../helpers/fake-telegram.ts';
import {
  addMember,
  createWorkspace,
  registerUser,
  type TestUser,
  useFakeLlm,
  type Workspace,
} from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { secret } from '../helpers/secrets.ts';

/**
 * Human handoff end to end: Telegram against the fake Bot API, turns through the real agent service and the AI SDK
 * to the fake LLM (which can call the handoff_to_human tool), operators through the API.
 */

const TOKEN = secret(`${810000 + Math.floor(Math.random() * 1e5)}:${randomBytes(24).toString('base64url')}`);
let app: TestApp;
let fake: FakeTelegram;
let llm: FakeLlm;
let ws: Workspace;
let member: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let nextUser = 5_550_000_000 + Math.floor(Math.random() * 1e6);

const base = () => `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}`;
const channels = () =>
  `/api/v1/channels/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/channels`;
const conv = (id: string, tail = '') => `${base()}/conversations/${id}${tail}`;

/** A Telegram user writes; resolves with the stored message once it is in the database. */
async function userWrites(user: { id: number }, text: string) {
  const update = fake.textUpdate(user, text);
  expect(await fake.deliver(update)).toBe(200);
  return eventually(async () => {
    const [row] = await app.database.query<{ id: string; conversation_id: string }>(
      `select id, conversation_id from messages where provider_message_id = $1 and direction = 'inbound'`,
      [`${user.id}:${update.message.message_id}`],
    );
    return row;
  }, 30_000);
}

/** Waits until a turn dealt with the message (answered by the agent, or left to the human). */
const settled = (messageId: string) =>
  eventually(async () => {
    const [row] = await app.database.query<{ answered_at: Date | null }>(
      'select answered_at from messages where id = $1',
      [messageId],
    );
    return row?.answered_at ? true : undefined;
  }, 30_000);

const sentTexts = (user: { id: number }) =>
  fake.callsOf('sendMessage', user.id).map((c) => String(c.params.text));

/** The conversation's handoff events (the engine's message and status events are left out). */
const events = (conversationId: string) =>
  app.database.query<{ type: string; data: Record<string, unknown> }>(
    `select type, data from agent_events where conversation_id = $1 and type like 'handoff.%' order by id`,
    [conversationId],
  );

async function setHandoff(settings: unknown) {
  const res = await app.call('PUT', channels(), { token: ws.owner.token, body: { handoff: settings } });
  expect(res.status, res.text).toBe(200);
}

beforeAll(async () => {
  fake = await new FakeTelegram(TOKEN, 'handoff_bot').start();
  llm = await startFakeLlm();
  app = await startTestApp(
    { PUBLIC_URL: 'https://bot.example.com', TELEGRAM_API_ROOT: fake.url, TURN_DEBOUNCE_MS: 'telegram=0' },
    undefined,
    { engine: {} },
  );
  fake.deliverTo = (url) => `${app.url}${new URL(url).pathname}`;
  ws = await createWorkspace(app, 'handoff');
  await useFakeLlm(app, ws, llm.url);
  member = await registerUser(app, 'operator');
  viewer = await registerUser(app, 'viewer');
  outsider = await registerUser(app, 'outsider');
  await addMember(app, ws.owner, ws.orgId, member, 'member');
  await addMember(app, ws.owner, ws.orgId, viewer, 'viewer');
  const put = await app.call('PUT', channels(), {
    token: ws.owner.token,
    body: { telegram: { enabled: true, bot_token: TOKEN, bot_username: 'handoff_bot' } },
  });
  expect(put.status, put.text).toBe(200);
  const setup = await app.call('POST', `${channels()}/telegram/webhook/setup`, {
    token: ws.owner.token,
    body: {},
  });
  expect(setup.status, setup.text).toBe(200);
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
  await llm?.close();
});

describe('handoff by an operator', () => {
  it('silences the agent, delivers the operator reply as role human, and resume gives the conversation back', async () => {
    const person = { id: ++nextUser, first_name: 'Ana' };
    llm.reply('Hello Ana, how can I help?');
    const first = await userWrites(person, 'hello');
    await eventually(() => (sentTexts(person).includes('Hello Ana, how can I help?') ? true : undefined));
    // Handoff is off by default: the model is offered no tool.
    expect(llm.requests.at(-1)?.body.tools).toBeUndefined();
    const conversationId = first.conversation_id;

    const taken = await app.call('POST', conv(conversationId, '/handoff'), {
      token: member.token,
      body: { reason: 'billing question' },
    });
    expect(taken.status, taken.text).toBe(200);
    expect(taken.body.data.handoff).toMatchObject({
      by: 'operator',
      user_id: member.id,
      reason: 'billing question',
    });
    expect(Date.parse(taken.body.data.handoff.started_at)).not.toBeNaN();
    // Idempotent: a second call changes nothing and publishes nothing.
    const again = await app.call('POST', conv(conversationId, '/handoff'), { token: member.token });
    expect(again.status, again.text).toBe(200);
    expect(again.body.data.handoff.started_at).toBe(taken.body.data.handoff.started_at);
    expect((await events(conversationId)).filter((e) => e.type === 'handoff.started')).toEqual([
      { type: 'handoff.started', data: { by: 'operator', user_id: member.id } },
    ]);
    const listed = await app.call('GET', `${base()}/conversations?handoff=true`, { token: viewer.token });
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.data.map((c: { _id: string }) => c._id)).toContain(conversationId);

    // A message during the handoff: stored, left to the human, the LLM never asked.
    const asked = llm.requests.length;
    const during = await userWrites(person, 'are you there?');
    await settled(during.id);
    expect(llm.requests.length).toBe(asked);

    const reply = await app.call('POST', conv(conversationId, '/messages'), {
      token: member.token,
      body: { text: 'Hi, **Ben** from billing here.' },
    });
    expect(reply.status, reply.text).toBe(202);
    expect(reply.body.data).toMatchObject({
      role: 'human',
      user_id: member.id,
      direction: 'outbound',
      channel: 'telegram',
      content: 'Hi, **Ben** from billing here.',
    });
    const queued = await app.database.query<{ message_id: string; data: Record<string, unknown> }>(
      `select message_id, data from agent_events where type = 'reply.queued' and message_id = $1`,
      [reply.body.data._id],
    );
    expect(queued.map((e) => e.data)).toEqual([
      { channel: 'telegram', status: 'queued', role: 'human', user_id: member.id },
    ]);
    const delivered = await eventually(() =>
      fake.callsOf('sendMessage', person.id).find((c) => String(c.params.text).includes('Ben')),
    );
    expect(delivered.params.text).toBe('Hi, <b>Ben</b> from billing here.');
    expect(delivered.params.parse_mode).toBe('HTML');
    await eventually(async () => {
      const detail = await app.call('GET', conv(conversationId), { token: viewer.token });
      const human = detail.body.data.messages.find((m: { role: string }) => m.role === 'human');
      return human?.status === 'sent' && human.provider_message_id ? true : undefined;
    });
    expect(sentTexts(person)).toEqual(['Hello Ana, how can I help?', 'Hi, <b>Ben</b> from billing here.']);
    expect(fake.callsOf('sendDocument', person.id)).toEqual([]);

    // Attachments by URL, split for Telegram like agent replies: the text, then the file.
    const withFile = await app.call('POST', conv(conversationId, '/messages'), {
      token: member.token,
      body: {
        text: 'Here is your invoice.',
        attachments: [{ url: 'https://files.example.com/invoice-42.pdf', name: 'invoice-42.pdf' }],
      },
    });
    expect(withFile.status, withFile.text).toBe(202);
    const file = await eventually(() => fake.callsOf('sendDocument', person.id)[0]);
    expect(file.params.document).toBe('https://files.example.com/invoice-42.pdf');
    await eventually(() => (sentTexts(person).includes('Here is your invoice.') ? true : undefined));

    const resumed = await app.call('POST', conv(conversationId, '/resume'), { token: member.token });
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.body.data.handoff).toBeNull();
    expect((await events(conversationId)).map((e) => e.type)).toEqual(['handoff.started', 'handoff.ended']);

    // Back with the agent: the next message gets a bot reply, and the model sees the operator's words.
    llm.reply('Anything else I can do?');
    await userWrites(person, 'thanks Ben');
    await eventually(() => (sentTexts(person).includes('Anything else I can do?') ? true : undefined));
    const prompt = JSON.stringify(llm.requests.at(-1)?.body.messages);
    expect(prompt).toContain('[via telegram] [human operator] Hi, **Ben** from billing here.');
    expect(prompt).toContain('are you there?');
  });

  it('a message whose turn is already at the LLM when the handoff starts gets no bot reply', async () => {
    const person = { id: ++nextUser, first_name: 'Cas' };
    llm.reply('Welcome!');
    const first = await userWrites(person, 'hi');
    await eventually(() => (sentTexts(person).includes('Welcome!') ? true : undefined));

    let release!: () => void;
    const thinking = new Promise<void>((resolve) => (release = resolve));
    const asked = llm.requests.length;
    llm.enqueue({ reply: 'A bot reply that must never be sent', waitFor: thinking });
    const racing = await userWrites(person, 'I need help with my order');
    // The turn is inside the LLM call when the operator takes over.
    await eventually(() => (llm.requests.length > asked ? true : undefined));
    const taken = await app.call('POST', conv(first.conversation_id, '/handoff'), { token: member.token });
    expect(taken.status, taken.text).toBe(200);
    release();
    await settled(racing.id);

    const stored = await app.database.query<{ content: string }>(
      `select content from messages where conversation_id = $1 and role = 'assistant' order by seq`,
      [first.conversation_id],
    );
    expect(stored.map((m) => m.content)).toEqual(['Welcome!']);
    expect(sentTexts(person)).toEqual(['Welcome!']);
  });
});

describe('handoff by keyword and by the LLM tool', () => {
  it('a configured keyword hands the conversation over without asking the LLM', async () => {
    await setHandoff({ enabled: true, keywords: ['talk to a human', 'operator'] });
    const shown = await app.call('GET', channels(), { token: ws.owner.token });
    expect(shown.body.data.handoff).toEqual({ enabled: true, keywords: ['talk to a human', 'operator'] });

    const person = { id: ++nextUser, first_name: 'Dirk' };
    llm.reply('Sure, I can help with operators of all kinds.');
    // "operators" is not the keyword "operator": the agent answers.
    const first = await userWrites(person, 'Which tour operators do you work with?');
    await eventually(() => (sentTexts(person).length > 0 ? true : undefined));

    const asked = llm.requests.length;
    const message = await userWrites(person, 'Please let me TALK to a   human!');
    await settled(message.id);
    expect(llm.requests.length).toBe(asked);
    const detail = await app.call('GET', conv(first.conversation_id), { token: viewer.token });
    expect(detail.body.data.handoff).toMatchObject({
      by: 'keyword',
      user_id: null,
      reason: 'keyword: talk to a human',
    });
    expect(await events(first.conversation_id)).toEqual([
      { type: 'handoff.started', data: { by: 'keyword' } },
    ]);
    expect(sentTexts(person)).toHaveLength(1);
  });

  it('the LLM calls handoff_to_human: its message goes out, then the conversation is in handoff', async () => {
    await setHandoff({ enabled: true });
    const person = { id: ++nextUser, first_name: 'Eva' };
    llm.enqueue({
      reply: 'Let me get a colleague for that.',
      toolCalls: [{ name: 'handoff_to_human', arguments: { reason: 'refund above my limit' } }],
    });
    const first = await userWrites(person, 'I want a refund of 5000 euros');
    await eventually(() =>
      sentTexts(person).includes('Let me get a colleague for that.') ? true : undefined,
    );
    const offered = llm.requests.at(-1)?.body.tools as { function: { name: string } }[];
    expect(offered.map((t) => t.function.name)).toEqual(['handoff_to_human']);

    const detail = await eventually(async () => {
      const res = await app.call('GET', conv(first.conversation_id), { token: viewer.token });
      return res.body.data.handoff ? res.body.data : undefined;
    });
    expect(detail.handoff).toMatchObject({ by: 'agent', user_id: null, reason: 'refund above my limit' });
    expect(await events(first.conversation_id)).toEqual([{ type: 'handoff.started', data: { by: 'agent' } }]);

    const asked = llm.requests.length;
    const next = await userWrites(person, 'hello?');
    await settled(next.id);
    expect(llm.requests.length).toBe(asked);
    expect(sentTexts(person)).toEqual(['Let me get a colleague for that.']);
  });

  it('a tool call with no text hands over silently', async () => {
    const person = { id: ++nextUser, first_name: 'Fay' };
    llm.enqueue({ reply: '', toolCalls: [{ name: 'handoff_to_human', arguments: { reason: 'angry' } }] });
    const first = await userWrites(person, 'This is the third time I ask!');
    await settled(first.id);
    const [row] = await app.database.query<{ handoff_by: string | null }>(
      'select handoff_by from conversations where id = $1',
      [first.conversation_id],
    );
    expect(row?.handoff_by).toBe('agent');
    const outbound = await app.database.query(
      `select 1 from messages where conversation_id = $1 and direction = 'outbound'`,
      [first.conversation_id],
    );
    expect(outbound).toHaveLength(0);
    await setHandoff(null);
  });
});

describe('in-request chat (chat API, widget) during a handoff', () => {
  it('stores the message and answers 409 conversation_in_handoff; operator messages show as sent', async () => {
    llm.reply('Hi from the web');
    const chat = await app.call('POST', `${base()}/chat`, {
      token: ws.owner.token,
      body: { message: 'hello from the site', user_identifier: 'visitor-1' },
    });
    expect(chat.status, chat.text).toBe(200);
    const conversationId = chat.body.conversation_id;
    expect((await app.call('POST', conv(conversationId, '/handoff'), { token: member.token })).status).toBe(
      200,
    );

    const asked = llm.requests.length;
    const during = await app.call('POST', `${base()}/chat`, {
      token: ws.owner.token,
      body: { message: 'still there?', user_identifier: 'visitor-1', conversation_id: conversationId },
    });
    expect(during.status, during.text).toBe(409);
    expect(during.body.details).toEqual({ code: 'conversation_in_handoff' });
    expect(llm.requests.length).toBe(asked);

    const reply = await app.call('POST', conv(conversationId, '/messages'), {
      token: member.token,
      body: { text: 'A person here.' },
    });
    expect(reply.status, reply.text).toBe(202);
    expect(reply.body.data).toMatchObject({ role: 'human', status: 'sent', channel: 'website' });
    const detail = await app.call('GET', conv(conversationId), { token: viewer.token });
    expect(
      detail.body.data.messages.map((m: { role: string; content: string }) => [m.role, m.content]),
    ).toEqual([
      ['user', 'hello from the site'],
      ['assistant', 'Hi from the web'],
      ['user', 'still there?'],
      ['human', 'A person here.'],
    ]);
  });
});

describe('the handoff tool on the streaming chat API', () => {
  it('streams the text, then the conversation is in handoff and the next message gets 409', async () => {
    await setHandoff({ enabled: true });
    llm.enqueue({
      reply: 'A colleague will take over.',
      toolCalls: [{ name: 'handoff_to_human', arguments: { reason: 'legal question' } }],
    });
    const res = await fetch(`${app.url}${base()}/chat/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ws.owner.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Can I sue my landlord?', user_identifier: 'visitor-stream' }),
    });
    const stream = await res.text();
    expect(res.status, stream).toBe(200);
    expect(stream).toContain('event: complete');
    expect(llm.requests.at(-1)?.body.stream).toBe(true);
    const [row] = await app.database.query<{ id: string; handoff_by: string; handoff_reason: string }>(
      `select id, handoff_by, handoff_reason from conversations where user_identifier = 'visitor-stream'`,
    );
    expect(row).toMatchObject({ handoff_by: 'agent', handoff_reason: 'legal question' });
    const next = await app.call('POST', `${base()}/chat`, {
      token: ws.owner.token,
      body: { message: 'hello?', user_identifier: 'visitor-stream', conversation_id: row?.id },
    });
    expect(next.status, next.text).toBe(409);
    await setHandoff(null);
  });
});

describe('outreach', () => {
  it('starts a Telegram conversation with an operator message, and reaches a known contact by contact_id', async () => {
    const chatId = String(++nextUser);
    const res = await app.call('POST', `${base()}/conversations`, {
      token: member.token,
      body: { channel: 'telegram', recipient: chatId, text: 'Your order has _shipped_.' },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body.data.conversation).toMatchObject({
      channel: 'telegram',
      status: 'active',
      user_identifier: `telegram:${chatId}`,
      handoff: null,
    });
    expect(res.body.data.message).toMatchObject({ role: 'human', user_id: member.id, channel: 'telegram' });
    const sent = await eventually(() => fake.callsOf('sendMessage', chatId)[0]);
    expect(sent.params.text).toBe('Your order has <i>shipped</i>.');

    // The person answers: the same conversation continues and the agent replies.
    llm.reply('Glad to help!');
    const answer = await userWrites({ id: Number(chatId) }, 'thanks!');
    expect(answer.conversation_id).toBe(res.body.data.conversation._id);
    await eventually(() => (sentTexts({ id: Number(chatId) }).includes('Glad to help!') ? true : undefined));

    const [contact] = await app.database.query<{ contact_id: string }>(
      'select contact_id from conversations where id = $1',
      [answer.conversation_id],
    );
    const again = await app.call('POST', `${base()}/conversations`, {
      token: member.token,
      body: { contact_id: contact?.contact_id, text: 'One more thing.' },
    });
    expect(again.status, again.text).toBe(201);
    expect(again.body.data.conversation._id).toBe(answer.conversation_id);
    await eventually(() =>
      sentTexts({ id: Number(chatId) }).includes('One more thing.') ? true : undefined,
    );
  });

  it('refuses bad input with a 4xx naming the field', async () => {
    const cases: [unknown, number, string][] = [
      [{ channel: 'telegram', recipient: 'abc', text: 'x' }, 400, 'recipient'],
      [{ channel: 'website', recipient: '1', text: 'x' }, 400, 'channel'],
      [{ recipient: '123', text: 'x' }, 400, 'channel'],
      [{ channel: 'telegram', recipient: '123' }, 400, 'text'],
      [
        { channel: 'telegram', recipient: '123', text: 'x', template: { name: 'a', language: 'en' } },
        400,
        'text',
      ],
      [{ channel: 'telegram', recipient: '123', template: { name: 'a', language: 'en' } }, 409, 'Templates'],
      [{ channel: 'email', recipient: 'someone@example.com', text: 'x' }, 409, 'email channel'],
      [{ contact_id: 'contact_nope', text: 'x' }, 404, 'Contact'],
    ];
    for (const [body, status, names] of cases) {
      const res = await app.call('POST', `${base()}/conversations`, { token: member.token, body });
      expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(status);
      expect(res.body.error).toContain(names);
    }
  });
});

describe('access', () => {
  it('viewers may read the handoff but not act; outsiders see nothing', async () => {
    llm.reply('ok');
    const chat = await app.call('POST', `${base()}/chat`, {
      token: ws.owner.token,
      body: { message: 'hi', user_identifier: 'visitor-access' },
    });
    const id = chat.body.conversation_id;
    const writes: [string, string, unknown][] = [
      ['POST', conv(id, '/handoff'), {}],
      ['POST', conv(id, '/resume'), undefined],
      ['POST', conv(id, '/messages'), { text: 'hello' }],
      ['POST', `${base()}/conversations`, { channel: 'telegram', recipient: '42', text: 'hello' }],
    ];
    for (const [method, path, body] of writes) {
      expect((await app.call(method, path, { token: viewer.token, body })).status, path).toBe(403);
      expect((await app.call(method, path, { token: outsider.token, body })).status, path).toBe(404);
      expect((await app.call(method, path, { body })).status, path).toBe(401);
    }
    expect((await app.call('GET', conv(id), { token: viewer.token })).body.data.handoff).toBeNull();
    const [row] = await app.database.query<{ handoff_at: Date | null }>(
      'select handoff_at from conversations where id = $1',
      [id],
    );
    expect(row?.handoff_at).toBeNull();
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await app.call('GET', '/api/openapi.json');
    const prefix = '/api/v1/organizations/{orgId}/projects/{projectId}/agents/{agentId}/conversations';
    expect(Object.keys(doc.body.paths[prefix])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(doc.body.paths[`${prefix}/{conversationId}/handoff`].post.summary).toContain('member or higher');
    expect(doc.body.paths[`${prefix}/{conversationId}/resume`].post).toBeDefined();
    expect(doc.body.components.schemas.Conversation.properties.handoff).toBeDefined();
    expect(doc.body.components.schemas.ConversationMessageInput.properties).toHaveProperty('attachments');
  });

  it('refuses a closed conversation and bad handoff settings', async () => {
    llm.reply('ok');
    const chat = await app.call('POST', `${base()}/chat`, {
      token: ws.owner.token,
      body: { message: 'hi', user_identifier: 'visitor-closed' },
    });
    const id = chat.body.conversation_id;
    expect((await app.call('POST', conv(id, '/close'), { token: member.token })).status).toBe(200);
    const handoff = await app.call('POST', conv(id, '/handoff'), { token: member.token });
    expect(handoff.status).toBe(409);
    const text = await app.call('POST', conv(id, '/messages'), { token: member.token, body: { text: 'x' } });
    expect(text.status).toBe(409);

    const bad = await app.call('PUT', channels(), {
      token: ws.owner.token,
      body: { handoff: { keywords: [''] } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('handoff.keywords.0');
  });
});
