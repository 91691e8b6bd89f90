import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.ts';
import {
  addMember,
  createAgent,
  createWorkspace,
  registerUser,
  type TestUser,
  useFakeLlm,
  type Workspace,
} from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { randomSecret } from '../helpers/secrets.ts';

/**
 * The playground's sandbox provider end to end: a customer message posted through the console API goes through the
 * durable ingest, the real agent service (against the fake LLM) and ordered delivery, and the sandbox renders each
 * reply part exactly as the channel's real provider would get it (WhatsApp markup, Telegram HTML, the MIME mail).
 */

let app: TestApp;
let llm: FakeLlm;
let ws: Workspace;
let member: TestUser;
let viewer: TestUser;
let outsider: TestUser;
/** Every request the server made through the adapters' fetch: a sandbox reply must never reach a provider. */
const providerCalls: string[] = [];

/** The agent's reply to a customer message containing the key; anything else gets "ok". */
const replies = new Map<string, string>();

const agentBase = (w: Workspace, agentId = w.agentId) =>
  `/api/v1/organizations/${w.orgId}/projects/${w.projectId}/agents/${agentId}`;
const playground = (channel: string, tail = '/messages', agentId?: string) =>
  `${agentBase(ws, agentId)}/playground/${channel}${tail}`;

type Transcript = { conversation: any; messages: any[] };

async function transcript(channel: string, from: string, agentId?: string): Promise<Transcript> {
  const res = await app.call('GET', playground(channel, `/transcript?from=${from}`, agentId), {
    token: member.token,
  });
  expect(res.status, res.text).toBe(200);
  return res.body.data;
}

/** Waits until `count` outbound parts of the customer's conversation are delivered; returns the transcript. */
async function delivered(channel: string, from: string, count: number, agentId?: string) {
  try {
    return await eventually(async () => {
      const t = await transcript(channel, from, agentId);
      const out = t.messages.filter((m) => m.direction === 'outbound');
      return out.length >= count && out.every((m) => m.status === 'delivered') ? t : undefined;
    }, 30_000);
  } catch (error) {
    // Say where it stopped: the parts' statuses and the sandbox's delivered-status events.
    const t = await transcript(channel, from, agentId);
    const parts = t.messages.map((m) => `${m.direction} ${m.status} ${m.provider_message_id}`);
    const events = await app.database.query(
      `select provider_event_id, processed, attempts, retry_at from inbound_events
       where provider_event_id like 'sandbox:%:delivered' and agent_id = $1`,
      [agentId ?? ws.agentId],
    );
    throw new Error(`${String(error)}: ${JSON.stringify({ parts, events })}`, { cause: error });
  }
}

async function say(channel: string, body: Record<string, unknown>, agentId?: string) {
  const res = await app.call('POST', playground(channel, '/messages', agentId), {
    token: member.token,
    body,
  });
  expect(res.status, res.text).toBe(202);
  return res.body.data;
}

beforeAll(async () => {
  llm = await startFakeLlm();
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(llm.url)) providerCalls.push(url);
    return fetch(input, init);
  };
  app = await startTestApp({ TURN_DEBOUNCE_MS: 'whatsapp=0,telegram=0,email=0' }, undefined, {
    engine: {},
    fetch: recordingFetch,
  });
  ws = await createWorkspace(app, 'playground');
  await useFakeLlm(app, ws, llm.url);
  llm.respondWith((request) => {
    const last = String(request.body.messages.at(-1)?.content ?? '');
    for (const [key, reply] of replies) if (last.includes(key)) return { reply };
    return { reply: 'ok' };
  });
  member = await registerUser(app, 'operator');
  viewer = await registerUser(app, 'viewer');
  outsider = await registerUser(app, 'outsider');
  await addMember(app, ws.owner, ws.orgId, member, 'member');
  await addMember(app, ws.owner, ws.orgId, viewer, 'viewer');
});

afterAll(async () => {
  await app?.close();
  await llm?.close();
});

describe('WhatsApp sandbox', () => {
  it('answers through the engine and renders the reply as the Cloud API body, in WhatsApp markup, sent then delivered', async () => {
    replies.set('wa-hello', 'Hello **Ana**, this is _great_ and ~~old~~.');
    const accepted = await say('whatsapp', { from: 'ana', name: 'Ana', text: 'wa-hello there' });
    expect(accepted).toMatchObject({
      channel: 'whatsapp',
      from: 'ana',
      platform_user_id: 'sandbox:ana',
      user_identifier: 'whatsapp:sandbox:ana',
      duplicate: false,
    });
    const t = await delivered('whatsapp', 'ana', 1);
    expect(t.conversation).toMatchObject({ channel: 'whatsapp', user_identifier: 'whatsapp:sandbox:ana' });
    const [inbound, reply] = t.messages;
    expect(inbound).toMatchObject({ direction: 'inbound', content: 'wa-hello there', rendered: null });
    expect(reply.content).toBe('Hello **Ana**, this is _great_ and ~~old~~.');
    expect(reply.rendered).toMatchObject({
      renders_as: 'cloud_api',
      text_limit: 4096,
      request: {
        method: 'POST',
        path: '/{phone_number_id}/messages',
        body: {
          messaging_product: 'whatsapp',
          to: 'sandbox:ana',
          type: 'text',
          text: { body: 'Hello *Ana*, this is _great_ and ~old~.', preview_url: false },
        },
      },
    });
    // sent → delivered through the status path, with the sandbox's provider id.
    expect(reply.provider_message_id).toBe(`wamid.sandbox.${reply._id}`);
    expect(reply.sent_at).not.toBeNull();
    expect(reply.delivered_at).not.toBeNull();
    // The agent was told where it is: the channel context names WhatsApp.
    const system = llm.requests.find((r) => JSON.stringify(r.body).includes('wa-hello'))?.body.messages[0];
    expect(String(system?.content)).toContain('Channel: whatsapp');
    expect(providerCalls).toEqual([]);
  });

  it('splits a long reply into WhatsApp-sized parts, each rendered and delivered in order', async () => {
    const paragraph = `${'word '.repeat(199)}end.`;
    const long = Array.from({ length: 6 }, () => paragraph).join('\n\n');
    replies.set('wa-long', long);
    await say('whatsapp', { from: 'long', text: 'wa-long please' });
    const t = await delivered('whatsapp', 'long', 2);
    const parts = t.messages.filter((m) => m.direction === 'outbound');
    expect(parts.length).toBe(2);
    for (const part of parts) {
      expect(part.rendered.request.body.text.body.length).toBeLessThanOrEqual(4096);
    }
    const joined = parts.map((p) => p.rendered.request.body.text.body).join('\n\n');
    expect(joined.replace(/\s+/g, ' ')).toBe(long.replace(/\s+/g, ' '));
  });

  it('renders as Twilio (1600-character parts, the form body) when the agent uses Twilio, and never calls Twilio', async () => {
    const agentId = await createAgent(app, ws.owner.token, ws.orgId, ws.projectId);
    await useFakeLlm(app, { ...ws, agentId }, llm.url);
    const put = await app.call(
      'PUT',
      `/api/v1/channels/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${agentId}/channels`,
      {
        token: ws.owner.token,
        body: {
          whatsapp: {
            enabled: true,
            provider: 'twilio',
            phone_number: '+14155551234',
            credentials: {
              account_sid: `AC${randomBytes(16).toString('hex')}`,
              auth_token: randomSecret('tw'),
            },
          },
        },
      },
    );
    expect(put.status, put.text).toBe(200);
    const info = await app.call('GET', `${agentBase(ws, agentId)}/playground`, { token: viewer.token });
    expect(info.status, info.text).toBe(200);
    expect(info.body.data.channels).toContainEqual({
      channel: 'whatsapp',
      provider: 'sandbox',
      renders_as: 'twilio',
      text_limit: 1600,
    });
    const text = `**Twilio** ${'word '.repeat(500)}end.`;
    replies.set('wa-twilio', text);
    await say('whatsapp', { from: 'tina', text: 'wa-twilio go' }, agentId);
    const t = await delivered('whatsapp', 'tina', 2, agentId);
    const parts = t.messages.filter((m) => m.direction === 'outbound');
    expect(parts.length).toBe(2);
    expect(parts[0].rendered).toMatchObject({
      renders_as: 'twilio',
      request: { form: { To: 'whatsapp:sandbox:tina', From: 'whatsapp:+14155551234' } },
    });
    expect(parts[0].rendered.request.form.Body).toMatch(/^\*Twilio\* word/);
    for (const part of parts) expect(part.rendered.request.form.Body.length).toBeLessThanOrEqual(1600);
    expect(providerCalls).toEqual([]);
  });
});

describe('operator in a sandbox conversation', () => {
  it("sends an operator's reply through the sandbox too, rendered for the channel", async () => {
    replies.set('op-hello', 'hi from the agent');
    await say('whatsapp', { from: 'olga', text: 'op-hello' });
    const t = await delivered('whatsapp', 'olga', 1);
    const res = await app.call('POST', `${agentBase(ws)}/conversations/${t.conversation._id}/messages`, {
      token: member.token,
      body: { text: 'A _human_ here' },
    });
    expect(res.status, res.text).toBe(202);
    const after = await delivered('whatsapp', 'olga', 2);
    const human = after.messages.find((m) => m.role === 'human');
    expect(human.rendered.request.body).toMatchObject({
      to: 'sandbox:olga',
      text: { body: 'A _human_ here' },
    });
    expect(human.status).toBe('delivered');
    expect(providerCalls).toEqual([]);
  });
});

describe('Telegram sandbox', () => {
  it('renders the sendMessage call: Telegram HTML with entities escaped and quick replies as an inline keyboard', async () => {
    replies.set('tg-hi', '**Bold** & <b>not a tag</b>\n\n[[buttons: Yes please | No]]');
    await say('telegram', { from: 'tom', text: 'tg-hi' });
    const t = await delivered('telegram', 'tom', 1);
    const reply = t.messages.find((m) => m.direction === 'outbound');
    expect(reply.buttons).toEqual([
      { label: 'Yes please', value: 'Yes please' },
      { label: 'No', value: 'No' },
    ]);
    expect(reply.rendered).toMatchObject({
      renders_as: 'telegram',
      request: {
        method: 'sendMessage',
        params: {
          chat_id: 'sandbox:tom',
          parse_mode: 'HTML',
          text: '<b>Bold</b> &amp; &lt;b&gt;not a tag&lt;/b&gt;',
          reply_markup: {
            inline_keyboard: [
              [{ text: 'Yes please', callback_data: 'Yes please' }],
              [{ text: 'No', callback_data: 'No' }],
            ],
          },
        },
      },
    });
    expect(reply.status).toBe('delivered');
  });
});

describe('email sandbox', () => {
  it('renders the full MIME mail with Re: subject and threading, and the answer to it continues the thread', async () => {
    replies.set('em-first', 'Your order **42** ships today.');
    replies.set('em-second', 'You are welcome.');
    const first = await say('email', {
      from: 'bob',
      name: 'Bob',
      subject: 'Order 42',
      text: 'em-first: where?',
    });
    const firstMailId = `${first.message_id}@sandbox.invalid`;
    const t1 = await delivered('email', 'bob', 1);
    const reply1 = t1.messages.find((m) => m.direction === 'outbound');
    expect(reply1.rendered.renders_as).toBe('mime');
    expect(reply1.rendered.headers).toMatchObject({
      from: 'agent@sandbox.invalid',
      to: 'bob@sandbox.invalid',
      subject: 'Re: Order 42',
      message_id: `<${reply1.provider_message_id}>`,
      in_reply_to: `<${firstMailId}>`,
      auto_submitted: 'auto-replied',
    });
    const mime1: string = reply1.rendered.mime;
    expect(mime1).toMatch(/^Subject: Re: Order 42\r$/m);
    expect(mime1).toMatch(new RegExp(`^In-Reply-To: <${firstMailId}>\\r$`, 'm'));
    expect(mime1).toMatch(/^Auto-Submitted: auto-replied\r$/m);
    expect(mime1).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(mime1).toContain('<strong>42</strong>');
    expect(reply1.rendered.text).toContain('ships today.');
    expect(mime1).toMatch(/^Content-Type: text\/plain;/m);

    // Bob answers the agent's mail: same conversation, and the second reply threads on his answer.
    const second = await say('email', {
      from: 'bob',
      subject: 'Re: Order 42',
      text: 'em-second thanks',
      in_reply_to: reply1.rendered.headers.message_id,
    });
    const t2 = await delivered('email', 'bob', 2);
    expect(t2.conversation._id).toBe(t1.conversation._id);
    const reply2 = t2.messages.filter((m) => m.direction === 'outbound')[1];
    const secondMailId = `${second.message_id}@sandbox.invalid`;
    expect(reply2.rendered.headers).toMatchObject({
      subject: 'Re: Order 42',
      in_reply_to: `<${secondMailId}>`,
    });
    expect(reply2.rendered.headers.references).toContain(`<${reply1.provider_message_id}>`);
    expect(reply2.rendered.mime).toMatch(new RegExp(`^In-Reply-To: <${secondMailId}>\\r$`, 'm'));
    expect(providerCalls).toEqual([]);
  });
});

describe('dedupe and access', () => {
  it('records a message_id once: a repeat is acknowledged as a duplicate and answered once', async () => {
    replies.set('dup-check', 'answered once');
    const body = { from: 'dina', text: 'dup-check', message_id: 'client-msg-1' };
    expect((await say('telegram', body)).duplicate).toBe(false);
    expect((await say('telegram', body)).duplicate).toBe(true);
    const t = await delivered('telegram', 'dina', 1);
    expect(t.messages.filter((m) => m.direction === 'inbound').length).toBe(1);
    expect(
      llm.requests.filter((r) => JSON.stringify(r.body.messages.at(-1)).includes('dup-check')).length,
    ).toBe(1);
    const [row] = await app.database.query<{ n: number }>(
      `select count(*)::int as n from inbound_events where agent_id = $1 and provider_event_id = 'sandbox:client-msg-1'`,
      [ws.agentId],
    );
    expect(row?.n).toBe(1);
  });

  it('lets a viewer read but not write, hides the agent from outsiders and anonymous callers', async () => {
    const body = { from: 'eve', text: 'hello' };
    const asViewer = await app.call('POST', playground('whatsapp'), { token: viewer.token, body });
    expect(asViewer.status).toBe(403);
    const read = await app.call('GET', playground('whatsapp', '/transcript?from=eve'), {
      token: viewer.token,
    });
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual({ from: 'eve', conversation: null, messages: [] });
    expect((await app.call('POST', playground('whatsapp'), { token: outsider.token, body })).status).toBe(
      404,
    );
    expect(
      (await app.call('GET', playground('email', '/transcript'), { token: outsider.token })).status,
    ).toBe(404);
    expect((await app.call('POST', playground('whatsapp'), { body })).status).toBe(401);
    // Nothing was recorded for the refused posts.
    const [row] = await app.database.query<{ n: number }>(
      `select count(*)::int as n from contact_identities where platform_user_id = 'sandbox:eve'`,
    );
    expect(row?.n).toBe(0);
  });

  it('refuses other channels and malformed customers, and no public webhook reaches the sandbox', async () => {
    const website = await app.call('POST', playground('website'), {
      token: member.token,
      body: { text: 'x' },
    });
    expect(website.status).toBe(400);
    const badFrom = await app.call('POST', playground('whatsapp'), {
      token: member.token,
      body: { from: 'a@b.example', text: 'x' },
    });
    expect(badFrom.status).toBe(400);
    expect(badFrom.body.error).toContain('from');
    // The agent has no WhatsApp provider configured: its webhook does not exist, sandbox or not.
    const hook = await app.call('POST', `/api/v1/channels/webhooks/whatsapp/${ws.agentId}`, {
      body: { entry: [] },
    });
    expect(hook.status).toBe(404);
  });

  it('defaults the customer to one per operator', async () => {
    replies.set('mine', 'hi operator');
    const accepted = await say('whatsapp', { text: 'mine' });
    expect(accepted.from).toBe(member.id.toLowerCase());
    const t = await eventually(async () => {
      const res = await app.call('GET', playground('whatsapp', '/transcript'), { token: member.token });
      return res.body.data.messages.some((m: any) => m.status === 'delivered') ? res.body.data : undefined;
    }, 30_000);
    expect(t.from).toBe(member.id.toLowerCase());
  });
});
