import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChannelAnalytics } from '../../src/conversations/analytics.ts';
import type { TurnInput } from '../../src/engine/responder.ts';
import { newId } from '../../src/ids.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { addMember, registerUser, createWorkspace, type TestUser } from '../helpers/fixtures.ts';
import { eventually, LOOPBACK_SECRET, LoopbackPeer, postLoopback } from '../helpers/loopback-peer.ts';

const DEBOUNCE_MS = 400;
let app: TestApp;
let peer: LoopbackPeer;
let owner: TestUser;
let orgId: string;
let projectId: string;
let agentId: string;
const turns: TurnInput[] = [];
let updateSeq = 0;
const base = () => `/api/v1/organizations/${orgId}/projects/${projectId}/agents/${agentId}`;

/** Answers each turn with the messages it saw; "LONG" asks for a reply that needs three parts. */
async function responder(input: TurnInput) {
  turns.push(input);
  const said = input.pending.map((m) => m.content).join('|');
  if (said.includes('LONG')) {
    return {
      text: ['A'.repeat(4096), 'B'.repeat(4096), 'C'.repeat(100)].join(''),
      usage: { inputTokens: 3, outputTokens: 9 },
    };
  }
  return { text: `reply to: ${said}`, usage: { inputTokens: 5, outputTokens: 7 } };
}

const message = (from: string, text: string, extra: Record<string, unknown> = {}) => ({
  update_id: `u${++updateSeq}-${from}`,
  message: { from, text, username: `user_${from}`, ...extra },
});

async function conversationOf(from: string) {
  const res = await app.call(
    'GET',
    `${base()}/conversations?user_identifier=loopback:${from}&status=active`,
    {
      token: owner.token,
    },
  );
  expect(res.status, res.text).toBe(200);
  return res.body.data[0] as { _id: string } | undefined;
}

async function detail(conversationId: string) {
  const res = await app.call('GET', `${base()}/conversations/${conversationId}?limit=100`, {
    token: owner.token,
  });
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}

/** The conversation once no outbound message is still queued: the peer sees a send before its job commits. */
const settled = (conversationId: string) =>
  eventually(async () => {
    const conversation = await detail(conversationId);
    const queued = conversation.messages.some(
      (m: { direction: string; status: string }) => m.direction === 'outbound' && m.status === 'queued',
    );
    return queued ? undefined : conversation;
  });

const sendsTo = (chatId: string) => peer.sends.filter((s) => s.chatId === chatId);

beforeAll(async () => {
  peer = await new LoopbackPeer().start();
  app = await startTestApp(
    {
      LOOPBACK_CHANNEL_URL: peer.url,
      LOOPBACK_CHANNEL_SECRET: LOOPBACK_SECRET,
      TURN_DEBOUNCE_MS: `loopback=${DEBOUNCE_MS}`,
    },
    undefined,
    { engine: { responder } },
  );
  ({ owner, orgId, projectId, agentId } = await createWorkspace(app, 'engine'));
});
afterAll(async () => {
  await app?.close();
  await peer?.close();
});

describe('durable ingest', () => {
  it('records the same event posted 5 times concurrently once: one message, one turn, one send', async () => {
    const update = message('dup', 'hello once');
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => postLoopback(app.url, agentId, update)),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { accepted: number }[];
    expect(bodies.reduce((sum, b) => sum + b.accepted, 0)).toBe(1);
    await eventually(() => (sendsTo('dup').length > 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, DEBOUNCE_MS + 300));
    expect(sendsTo('dup').map((s) => s.text)).toEqual(['reply to: hello once']);
    expect(turns.filter((t) => t.pending.some((m) => m.content === 'hello once'))).toHaveLength(1);
    const conversation = await detail((await conversationOf('dup'))?._id as string);
    expect(conversation.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
    const events = await app.database.query<{ n: number }>(
      `select count(*)::int as n from inbound_events where provider_event_id = $1`,
      [update.update_id],
    );
    expect(events[0]?.n).toBe(1);
  });

  it('refuses a forged or missing signature with 401 and stores nothing; unknown agent is 404', async () => {
    const before = await app.database.query<{ n: number }>('select count(*)::int as n from inbound_events');
    const forged = await postLoopback(app.url, agentId, message('forger', 'hi'), 'wrong-secret-wrong-secret');
    expect(forged.status).toBe(401);
    const missing = await fetch(`${app.url}/api/v1/channels/webhooks/loopback/${agentId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message('forger', 'hi')),
    });
    expect(missing.status).toBe(401);
    const unknown = await postLoopback(app.url, newId('agent'), message('forger', 'hi'));
    expect(unknown.status).toBe(404);
    const otherChannel = await postLoopback(app.url, agentId, message('forger', 'hi')).then(() =>
      fetch(`${app.url}/api/v1/channels/webhooks/nochannel/${agentId}`, { method: 'POST', body: '{}' }),
    );
    expect(otherChannel.status).toBe(404);
    const after = await app.database.query<{ n: number }>('select count(*)::int as n from inbound_events');
    // Only the one correctly signed post above was stored.
    expect((after[0]?.n ?? 0) - (before[0]?.n ?? 0)).toBe(1);
  });
});

describe('turns and ordering', () => {
  it('answers three messages inside one debounce window with one turn that sees all three', async () => {
    for (const text of ['first', 'second', 'third']) {
      expect((await postLoopback(app.url, agentId, message('burst', text))).status).toBe(200);
    }
    await eventually(() => (sendsTo('burst').length > 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, DEBOUNCE_MS + 300));
    const burstTurns = turns.filter((t) => t.pending.some((m) => m.content === 'first'));
    expect(burstTurns).toHaveLength(1);
    expect(burstTurns[0]?.pending.map((m) => m.content)).toEqual(['first', 'second', 'third']);
    expect(burstTurns[0]?.channel).toBe('loopback');
    expect(sendsTo('burst').map((s) => s.text)).toEqual(['reply to: first|second|third']);
  });

  it('keeps the debounce when a delivery trigger for the conversation comes inside the window', async () => {
    const posted = performance.now();
    await postLoopback(app.url, agentId, message('early', 'one'));
    const conversationId = await eventually(async () => (await conversationOf('early'))?._id);
    // The conversation's job is due now (an operator's message or a retry would bring one): it must send what
    // is queued and leave the turn for its due time, not answer 'one' alone.
    await app.engine?.deliver(conversationId);
    await postLoopback(app.url, agentId, message('early', 'two'));
    await eventually(() => (sendsTo('early').length > 0 ? true : undefined));
    expect(performance.now() - posted).toBeGreaterThanOrEqual(DEBOUNCE_MS);
    await new Promise((r) => setTimeout(r, DEBOUNCE_MS + 300));
    expect(sendsTo('early').map((s) => s.text)).toEqual(['reply to: one|two']);
  });

  it('sends a reply from what the turn wrote, without reading the queue back', async () => {
    const query = app.database.query;
    const reads: unknown[] = [];
    app.database.query = (text, params) => {
      if (/m\.status = 'queued'\s+order by m\.seq limit 2/.test(text)) reads.push(params?.[0]);
      return query(text, params);
    };
    try {
      expect((await postLoopback(app.url, agentId, message('direct', 'hi there'))).status).toBe(200);
      await eventually(() => (sendsTo('direct').length > 0 ? true : undefined));
      const id = (await conversationOf('direct'))?._id as string;
      await settled(id);
      expect(sendsTo('direct').map((s) => s.text)).toEqual(['reply to: hi there']);
      expect(reads.filter((conversation) => conversation === id)).toEqual([]);
    } finally {
      app.database.query = query;
    }
  });

  it('delivers a multi-part reply, and the replies of successive turns, in the order produced', async () => {
    await postLoopback(app.url, agentId, message('order', 'LONG please'));
    await eventually(() => (sendsTo('order').length >= 3 ? true : undefined));
    await postLoopback(app.url, agentId, message('order', 'and then'));
    await eventually(() => (sendsTo('order').length >= 4 ? true : undefined));
    const texts = sendsTo('order').map((s) => s.text);
    expect(texts.map((t) => t[0])).toEqual(['A', 'B', 'C', 'r']);
    expect(texts.slice(0, 3).join('')).toBe(['A'.repeat(4096), 'B'.repeat(4096), 'C'.repeat(100)].join(''));
    const conversation = await settled((await conversationOf('order'))?._id as string);
    const outbound = conversation.messages.filter((m: { direction: string }) => m.direction === 'outbound');
    expect(outbound.map((m: { status: string }) => m.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(outbound[0].token_usage).toEqual({ input: 3, output: 9 });
    expect(conversation.token_usage).toEqual({ input: 8, output: 16 });
  });

  it('passes history from earlier turns to the agent, marked with its channel', async () => {
    const last = turns.filter((t) => t.pending.some((m) => m.content === 'and then')).at(-1);
    expect(last?.history.map((m) => [m.role, m.channel])).toEqual([
      ['user', 'loopback'],
      ['assistant', 'loopback'],
      ['assistant', 'loopback'],
      ['assistant', 'loopback'],
    ]);
  });

  it("gives the agent the contact's username and each pending message's time and channel", async () => {
    const sentAt = Date.now();
    await postLoopback(app.url, agentId, message('named', 'who am I', { name: 'Ada' }));
    const turn = await eventually(() => turns.find((t) => t.pending.some((m) => m.content === 'who am I')));
    expect(turn.contact).toEqual({ displayName: 'Ada', username: '@user_named' });
    const [pending] = turn.pending;
    expect(pending).toMatchObject({ role: 'user', channel: 'loopback' });
    expect(pending?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(pending?.createdAt ?? '') - sentAt)).toBeLessThan(60_000);
    // Its reply is out before the next test scripts the peer's failures.
    await eventually(() => (sendsTo('named').some((s) => s.ok) ? true : undefined));
  });
});

describe('delivery retries', () => {
  it('waits at least retryAfterMs after a 429 before the next attempt, then sends', async () => {
    peer.failNext({ status: 429, retryAfter: 1.5, error: 'Too Many Requests' });
    await postLoopback(app.url, agentId, message('slow', 'rate me'));
    await eventually(() => (sendsTo('slow').some((s) => s.ok) ? true : undefined), 15_000);
    const attempts = sendsTo('slow');
    expect(attempts.map((a) => a.ok)).toEqual([false, true]);
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(1500);
    const conversation = await settled((await conversationOf('slow'))?._id as string);
    const reply = conversation.messages.find((m: { direction: string }) => m.direction === 'outbound');
    expect(reply).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('ends every backoff of the account once a retried send succeeds (the provider is back)', async () => {
    // 'patient' is told to come back in an hour; 'probe' fails once with a 503 and retries within a second.
    peer.failNext({ status: 429, retryAfter: 3600, error: 'Too Many Requests' });
    await postLoopback(app.url, agentId, message('patient', 'wait for me'));
    await eventually(() => (sendsTo('patient').length > 0 ? true : undefined));
    peer.failNext({ status: 503, error: 'Service Unavailable' });
    await postLoopback(app.url, agentId, message('probe', 'are you back?'));
    await eventually(() => (sendsTo('probe').some((s) => s.ok) ? true : undefined), 15_000);
    // Long before the hour is up: the probe's success released it.
    await eventually(() => (sendsTo('patient').some((s) => s.ok) ? true : undefined), 30_000);
    expect(sendsTo('patient').map((a) => a.ok)).toEqual([false, true]);
    const conversation = await settled((await conversationOf('patient'))?._id as string);
    const reply = conversation.messages.find((m: { direction: string }) => m.direction === 'outbound');
    expect(reply).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('fails a non-retryable error at once, shows the code in the API, and never resends it', async () => {
    peer.failNext({ status: 400, code: 'invalid_recipient', error: 'chat not found' });
    await postLoopback(app.url, agentId, message('gone', 'anyone?'));
    await eventually(() => (sendsTo('gone').length > 0 ? true : undefined));
    const conversationId = (await conversationOf('gone'))?._id as string;
    const reply = await eventually(async () => {
      const found = (await detail(conversationId)).messages.find(
        (m: { direction: string; status: string }) => m.direction === 'outbound' && m.status === 'failed',
      );
      return found;
    });
    expect(reply.error).toEqual({ code: 'invalid_recipient', message: 'chat not found' });
    expect(reply.attempts).toBe(1);
    await app.engine?.reconcile();
    await new Promise((r) => setTimeout(r, 500));
    expect(sendsTo('gone')).toHaveLength(1);
  });
});

describe('status updates', () => {
  it('keeps a message read when a delivered status arrives after read', async () => {
    await postLoopback(app.url, agentId, message('reader', 'status please'));
    const sent = await eventually(() => sendsTo('reader').find((s) => s.ok));
    const providerId = peer.messageIdFor(sent.key) as string;
    await postLoopback(app.url, agentId, {
      update_id: `s-read-${providerId}`,
      status: { message_id: providerId, status: 'read' },
    });
    await postLoopback(app.url, agentId, {
      update_id: `s-delivered-${providerId}`,
      status: { message_id: providerId, status: 'delivered' },
    });
    const conversationId = (await conversationOf('reader'))?._id as string;
    await eventually(async () => {
      const events = await app.database.query<{ n: number }>(
        `select count(*)::int as n from inbound_events where provider_event_id like $1 and processed`,
        [`s-%-${providerId}`],
      );
      return events[0]?.n === 2 ? true : undefined;
    });
    const reply = (await detail(conversationId)).messages.find(
      (m: { direction: string }) => m.direction === 'outbound',
    );
    expect(reply.status).toBe('read');
    expect(reply.read_at).not.toBeNull();
    expect(reply.delivered_at).not.toBeNull();
  });
});

describe('conversation store and API', () => {
  it("shows the spec's channel metadata, channel history and per-channel analytics", async () => {
    await postLoopback(app.url, agentId, message('meta', 'hi there', { name: 'Meta Person' }));
    await eventually(() => (sendsTo('meta').length > 0 ? true : undefined));
    const conversation = await detail((await conversationOf('meta'))?._id as string);
    expect(conversation).toMatchObject({
      agent: agentId,
      user_identifier: 'loopback:meta',
      channel: 'loopback',
      channel_metadata: { platform_user_id: 'loopback:meta', chat_id: 'meta', username: '@user_meta' },
      status: 'active',
    });
    expect(conversation.channel_history).toEqual([
      { channel: 'loopback', timestamp: expect.any(String), message_count: 2 },
    ]);
    expect(Date.parse(conversation.metadata.last_activity)).toBeGreaterThan(Date.now() - 60_000);
    const analytics = await readChannelAnalytics(app.database.query, agentId);
    const messages = await app.database.query<{ n: number }>(
      `select count(*)::int as n from messages where agent_id = $1 and channel = 'loopback'`,
      [agentId],
    );
    expect(analytics.total_messages_by_channel.loopback).toBe(messages[0]?.n);
    expect(analytics.last_loopback_message).toEqual(expect.any(String));
  });

  it('reads a conversation stored without a channel as website, and filters it as website', async () => {
    const id = newId('conv');
    await app.database.query(
      `insert into conversations (id, agent_id, user_identifier) values ($1, $2, 'legacy-user')`,
      [id, agentId],
    );
    expect((await detail(id)).channel).toBe('website');
    const list = await app.call('GET', `${base()}/conversations?channel=website`, { token: owner.token });
    expect(list.body.data.map((c: { _id: string }) => c._id)).toContain(id);
    const other = await app.call('GET', `${base()}/conversations?channel=loopback`, { token: owner.token });
    expect(other.body.data.map((c: { _id: string }) => c._id)).not.toContain(id);
  });

  it('opens a new conversation for the same contact after inactivity or a close', async () => {
    await postLoopback(app.url, agentId, message('idle', 'one'));
    await eventually(() => (sendsTo('idle').length > 0 ? true : undefined));
    const first = (await conversationOf('idle'))?._id as string;
    await app.database.query(
      `update conversations set last_activity_at = now() - interval '25 hours' where id = $1`,
      [first],
    );
    await postLoopback(app.url, agentId, message('idle', 'two'));
    await eventually(() => (sendsTo('idle').length > 1 ? true : undefined));
    const second = (await conversationOf('idle'))?._id as string;
    expect(second).not.toBe(first);
    expect((await detail(first)).status).toBe('closed');

    const closed = await app.call('POST', `${base()}/conversations/${second}/close`, { token: owner.token });
    expect(closed.status, closed.text).toBe(200);
    expect(closed.body.data.status).toBe('closed');
    await postLoopback(app.url, agentId, message('idle', 'three'));
    await eventually(() => (sendsTo('idle').length > 2 ? true : undefined));
    const third = (await conversationOf('idle'))?._id as string;
    expect(third).not.toBe(second);
    const contacts = await app.database.query<{ n: number }>(
      `select count(distinct contact_id)::int as n from conversations where id = any($1)`,
      [[first, second, third]],
    );
    expect(contacts[0]?.n).toBe(1);
  });

  it('checks tenancy and role: viewer reads but cannot close, outsiders get 404, bad filters 400', async () => {
    const viewer = await registerUser(app, 'viewer');
    await addMember(app, owner, orgId, viewer, 'viewer');
    const outsider = await registerUser(app, 'outsider');
    const conversationId = (await conversationOf('meta'))?._id as string;
    expect((await app.call('GET', `${base()}/conversations`, { token: viewer.token })).status).toBe(200);
    const close = await app.call('POST', `${base()}/conversations/${conversationId}/close`, {
      token: viewer.token,
    });
    expect(close.status).toBe(403);
    for (const path of [`${base()}/conversations`, `${base()}/conversations/${conversationId}`]) {
      expect((await app.call('GET', path, { token: outsider.token })).status).toBe(404);
    }
    const bad = await app.call('GET', `${base()}/conversations?updated_since=yesterday`, {
      token: owner.token,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('updated_since');
    const since = await app.call(
      'GET',
      `${base()}/conversations?updated_since=${new Date(Date.now() + 60_000).toISOString()}`,
      {
        token: owner.token,
      },
    );
    expect(since.body.data).toEqual([]);
  });
});
