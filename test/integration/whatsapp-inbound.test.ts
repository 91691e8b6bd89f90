import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnInput } from '../../src/engine/responder.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type FakeGraph, startFakeGraph } from '../helpers/fake-graph.ts';
import { createAgent, createWorkspace, type TestUser } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { secret } from '../helpers/secrets.ts';

/**
 * WhatsApp inbound breadth against the fake Graph API: every message type stored with its text and attachment
 * metadata, the app-level callback routing one body to two agents by phone_number_id, and coexistence echoes
 * recorded as a human's messages that keep the agent quiet. The agent is a scripted responder.
 */

const ACCESS_TOKEN = secret(`EAAG${randomBytes(24).toString('hex')}`);
const APP_SECRET = secret(`appsecret_${randomBytes(16).toString('hex')}`);
const NUMBER_A = '200000000000001';
const NUMBER_B = '200000000000002';

let app: TestApp;
let fake: FakeGraph;
let owner: TestUser;
let orgId: string;
let projectId: string;
let agentA: string;
let agentB: string;
const turns: TurnInput[] = [];
let nextUser = 447700900000;
const newUser = () => String(++nextUser);

const channelsPath = (agent: string) =>
  `/api/v1/channels/organizations/${orgId}/projects/${projectId}/agents/${agent}/channels`;
const agentUrl = (agent: string) => `${app.url}/api/v1/channels/webhooks/whatsapp/${agent}`;
const APP_URL = () => `${app.url}/api/v1/channels/webhooks/whatsapp`;

async function configure(agent: string, phoneNumberId: string, display: string) {
  const put = await app.call('PUT', channelsPath(agent), {
    token: owner.token,
    body: {
      whatsapp: {
        enabled: true,
        provider: 'meta',
        phone_number: `+${display}`,
        verify_token: `verify_${phoneNumberId}`,
        credentials: { phone_number_id: phoneNumberId, access_token: ACCESS_TOKEN, app_secret: APP_SECRET },
      },
    },
  });
  expect(put.status, put.text).toBe(200);
}

async function rowsOf(agent: string, waId: string) {
  return app.database.query<{
    role: string;
    content: string;
    direction: string;
    status: string;
    attachments: any[];
    answered_at: Date | null;
  }>(
    `select m.role, m.content, m.direction, m.status, m.attachments, m.answered_at
     from messages m join conversations c on c.id = m.conversation_id
     where c.agent_id = $1 and c.user_identifier = $2 order by m.seq`,
    [agent, `whatsapp:${waId}`],
  );
}

beforeAll(async () => {
  fake = await startFakeGraph({
    accessToken: ACCESS_TOKEN,
    appSecret: APP_SECRET,
    phoneNumberId: NUMBER_A,
    displayPhoneNumber: '15550000001',
  });
  fake.addNumber(NUMBER_B, '15550000002');
  app = await startTestApp(
    {
      META_GRAPH_API_ROOT: fake.url,
      TURN_DEBOUNCE_MS: 'whatsapp=0',
      CHANNEL_CONFIG_WRITES_PER_MINUTE: '1000',
    },
    undefined,
    {
      engine: {
        responder: async (input) => {
          turns.push(input);
          return { text: `ok: ${input.pending.map((m) => m.content).join(' | ')}` };
        },
      },
    },
  );
  ({ owner, orgId, projectId, agentId: agentA } = await createWorkspace(app, 'wa-inbound'));
  agentB = await createAgent(app, owner.token, orgId, projectId);
  await configure(agentA, NUMBER_A, '15550000001');
  await configure(agentB, NUMBER_B, '15550000002');
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe('inbound message types', () => {
  it('stores each type with the right text and attachment metadata', async () => {
    fake.webhook.url = agentUrl(agentA);
    const waId = newUser();
    const imageId = fake.addMedia(Buffer.from('jpegbytes'), 'image/jpeg');
    const messages = [
      {
        type: 'image',
        image: {
          caption: 'damaged box',
          mime_type: 'image/jpeg',
          sha256: fake.mediaSha256(imageId),
          id: imageId,
        },
      },
      {
        type: 'document',
        document: { filename: 'invoice.pdf', mime_type: 'application/pdf', sha256: 'ZG9j', id: '9001' },
      },
      {
        type: 'audio',
        audio: { mime_type: 'audio/ogg; codecs=opus', sha256: 'dm9pY2U=', id: '9002', voice: true },
      },
      { type: 'video', video: { mime_type: 'video/mp4', sha256: 'dmlk', id: '9003' } },
      { type: 'sticker', sticker: { mime_type: 'image/webp', sha256: 'c3Rr', id: '9004', animated: false } },
      {
        type: 'location',
        location: { latitude: 52.52, longitude: 13.405, name: 'Office', address: 'Main St 1' },
      },
      {
        type: 'contacts',
        contacts: [
          {
            name: { formatted_name: 'Ana Ruiz', first_name: 'Ana' },
            phones: [{ phone: '+34 600 000 000', wa_id: '34600000000', type: 'CELL' }],
          },
        ],
      },
      {
        type: 'interactive',
        interactive: { type: 'button_reply', button_reply: { id: 'slot_am', title: 'Morning' } },
      },
      {
        type: 'interactive',
        interactive: {
          type: 'list_reply',
          list_reply: { id: 'size_xl', title: 'XL', description: 'Extra large' },
        },
      },
      { type: 'button', button: { payload: 'STOP_PROMOS', text: 'Stop promotions' } },
      { type: 'reaction', reaction: { message_id: 'wamid.SOMETHING', emoji: '❤️' } },
      { type: 'text', text: { body: 'forwarded tip' }, context: { forwarded: true } },
      {
        type: 'unsupported',
        unsupported: { type: 'poll' },
        errors: [{ code: 131051, title: 'Message type unknown' }],
      },
      {
        type: 'text',
        text: { body: 'I saw your ad' },
        referral: {
          source_url: 'https://fb.me/ad',
          source_type: 'ad',
          source_id: '120',
          headline: 'Sale',
          ctwa_clid: 'ARAk',
        },
      },
    ];
    const value = fake.messageValue(messages[0] as Record<string, unknown>, { waId, name: 'Ana' });
    const base = (value.messages as Record<string, unknown>[])[0] as Record<string, unknown>;
    value.messages = messages.map((m, i) => ({
      from: waId,
      id: `wamid.T${waId}_${i}`,
      timestamp: base.timestamp,
      ...m,
    }));
    expect(await fake.emitChanges([{ value }])).toBe(200);
    const rows = await eventually(async () => {
      const all = (await rowsOf(agentA, waId)).filter((r) => r.role === 'user');
      return all.length === messages.length ? all : undefined;
    });
    expect(rows.map((r) => r.content)).toEqual([
      'damaged box',
      '[document: invoice.pdf]',
      '[voice message]',
      '[video]',
      '[sticker]',
      '[location: Office, Main St 1 52.52, 13.405]',
      '[contact: Ana Ruiz]',
      'slot_am',
      'size_xl',
      'Stop promotions',
      '[reaction ❤️]',
      'forwarded tip',
      '[unsupported message: poll]',
      'I saw your ad',
    ]);
    expect(rows[0]?.attachments).toEqual([
      {
        type: 'image',
        ref: imageId,
        mime_type: 'image/jpeg',
        extra: { sha256: fake.mediaSha256(imageId), caption: 'damaged box' },
      },
    ]);
    expect(rows[1]?.attachments[0]).toMatchObject({
      type: 'document',
      ref: '9001',
      name: 'invoice.pdf',
      mime_type: 'application/pdf',
      extra: { sha256: 'ZG9j' },
    });
    expect(rows[2]?.attachments[0]).toMatchObject({ type: 'voice', ref: '9002' });
    expect(rows[5]?.attachments[0]).toMatchObject({
      type: 'location',
      extra: { latitude: 52.52, longitude: 13.405 },
    });
    expect(rows[6]?.attachments[0]).toMatchObject({
      type: 'contact',
      extra: { name: { formatted_name: 'Ana Ruiz' } },
    });
    // The referral (click-to-WhatsApp ad) of the latest message stays on the conversation's metadata.
    const conversation = await app.database.query<{ channel_metadata: Record<string, any> }>(
      `select channel_metadata from conversations where agent_id = $1 and user_identifier = $2`,
      [agentA, `whatsapp:${waId}`],
    );
    expect(conversation[0]?.channel_metadata).toMatchObject({
      platform_user_id: `whatsapp:${waId}`,
      wa_id: waId,
      referral: { source_id: '120', source_type: 'ad', ctwa_clid: 'ARAk' },
    });
    // Unsupported content is recorded, not a crash: the agent still answers the batch.
    await eventually(() => fake.sent.find((m) => m.to === waId));
  });
});

describe('edits Meta cannot show, and first opens', () => {
  it('records an `unsupported` edit without a turn, and answers request_welcome', async () => {
    fake.webhook.url = agentUrl(agentA);
    const waId = newUser();
    const say = (message: Record<string, unknown>) =>
      fake.emitChanges([{ value: fake.messageValue(message, { waId, name: 'Ana' }) }]);
    const sentTo = () => fake.sent.filter((m) => m.to === waId);

    // Opening the chat for the first time (welcome messages enabled): stored, and the agent greets.
    expect(await say({ type: 'request_welcome' })).toBe(200);
    await eventually(() => sentTo()[0]);
    expect(turns.some((t) => t.pending.some((m) => m.content === '[opened the chat]'))).toBe(true);

    // Meta's edit webhook is paused: the edit arrives as `unsupported` (131051), with no original id.
    expect(
      await say({
        type: 'unsupported',
        unsupported: { type: 'edit' },
        errors: [
          {
            code: 131051,
            title: 'Message type unknown',
            message: 'Message type unknown',
            error_data: { details: 'Message type is currently not supported.' },
          },
        ],
      }),
    ).toBe(200);
    // The conversation's metadata names the kind Meta could not show, not just "unsupported".
    const [conversation] = await eventually(async () => {
      const found = await app.database.query<{ channel_metadata: Record<string, any> }>(
        `select channel_metadata from conversations where agent_id = $1 and user_identifier = $2`,
        [agentA, `whatsapp:${waId}`],
      );
      return found[0]?.channel_metadata.unsupported ? found : undefined;
    });
    expect(conversation?.channel_metadata.unsupported).toEqual({
      type: 'edit',
      errors: [{ code: 131051, title: 'Message type unknown' }],
    });
    expect(await say({ type: 'text', text: { body: 'are you there?' } })).toBe(200);
    await eventually(() => sentTo()[1]);
    const rows = (await rowsOf(agentA, waId)).filter((r) => r.role === 'user');
    expect(rows.map((r) => r.content)).toEqual([
      '[opened the chat]',
      '[unsupported message: edit]',
      'are you there?',
    ]);
    // Recorded as handled, never put before the agent, and nothing sent for it.
    expect(rows[1]?.answered_at).not.toBeNull();
    expect(turns.some((t) => t.pending.some((m) => m.content === '[unsupported message: edit]'))).toBe(false);
    expect(sentTo()).toHaveLength(2);
  });
});

describe('odd elements in one batch', () => {
  it('stores every message beside an out-of-range timestamp and leaves a group message unanswered', async () => {
    fake.webhook.url = agentUrl(agentA);
    const waId = newUser();
    const now = String(Math.floor(Date.now() / 1000));
    const value = fake.messageValue(
      { type: 'text', text: { body: 'sent from far away' }, timestamp: '99999999999999999' },
      { waId, name: 'Ana' },
    );
    value.messages = [
      ...(value.messages as Record<string, unknown>[]),
      {
        from: waId,
        group_id: 'Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD',
        id: `wamid.G${waId}`,
        timestamp: now,
        type: 'text',
        text: { body: 'what do you all think?' },
      },
      { from: waId, id: `wamid.N${waId}`, timestamp: now, type: 'text', text: { body: 'on time' } },
    ];
    const turnsBefore = turns.length;
    expect(await fake.emitChanges([{ value }])).toBe(200);
    // The timestamp used to throw in parse: the whole body was kept as unparseable and nothing was stored.
    const rows = await eventually(async () => {
      const all = (await rowsOf(agentA, waId)).filter((r) => r.role === 'user');
      return all.length === 3 ? all : undefined;
    });
    expect(rows.map((r) => r.content)).toEqual(['sent from far away', 'what do you all think?', 'on time']);
    expect(rows[1]?.answered_at).not.toBeNull();
    const [group] = await app.database.query<{ metadata: Record<string, unknown> }>(
      `select metadata from messages where provider_message_id = $1`,
      [`wamid.G${waId}`],
    );
    expect(group?.metadata).toEqual({
      group_id: 'Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjM0MDQ2OTQyMzM4MjAZD',
    });
    // The private reply answers the private messages only.
    const answered = await eventually(() => {
      const pending = turns.slice(turnsBefore).flatMap((t) => t.pending.map((m) => m.content));
      return pending.includes('on time') ? pending : undefined;
    });
    expect(answered).not.toContain('what do you all think?');
    await eventually(() => fake.sent.find((m) => m.to === waId));
  });
});

describe('the app-level callback', () => {
  it('splits one body across two agents by phone number id and ignores an unknown number', async () => {
    fake.webhook.url = APP_URL();
    const toA = newUser();
    const toB = newUser();
    const status = await fake.emitChanges([
      {
        value: fake.messageValue({ type: 'text', text: { body: 'for agent A' } }, { waId: toA }),
        phoneNumberId: NUMBER_A,
      },
      {
        value: fake.messageValue({ type: 'text', text: { body: 'for agent B' } }, { waId: toB }),
        phoneNumberId: NUMBER_B,
      },
      {
        value: fake.messageValue({ type: 'text', text: { body: 'for nobody' } }, { waId: newUser() }),
        phoneNumberId: '999999999',
      },
    ]);
    expect(status).toBe(200);
    const sentA = await eventually(() => fake.sent.find((m) => m.to === toA));
    const sentB = await eventually(() => fake.sent.find((m) => m.to === toB));
    expect(sentA.phoneNumberId).toBe(NUMBER_A);
    expect(sentB.phoneNumberId).toBe(NUMBER_B);
    expect((await rowsOf(agentA, toA)).map((r) => r.content)).toContain('for agent A');
    expect(await rowsOf(agentA, toB)).toEqual([]);
    expect((await rowsOf(agentB, toB)).map((r) => r.content)).toContain('for agent B');

    // The unknown number again: still 200, and logged only once.
    expect(
      await fake.emitChanges([
        {
          value: fake.messageValue({ type: 'text', text: { body: 'again' } }, { waId: newUser() }),
          phoneNumberId: '999999999',
        },
      ]),
    ).toBe(200);
    expect(app.logs.filter((line) => line.includes('999999999'))).toHaveLength(1);

    const handshake = await fetch(
      `${APP_URL()}?hub.mode=subscribe&hub.challenge=77&hub.verify_token=verify_${NUMBER_B}`,
    );
    expect(await handshake.text()).toBe('77');
    expect(
      (await fetch(`${APP_URL()}?hub.mode=subscribe&hub.challenge=77&hub.verify_token=guess`)).status,
    ).toBe(403);
  });

  it('answers 401 and records nothing when the signature is not the owning app’s', async () => {
    fake.webhook.url = APP_URL();
    const waId = newUser();
    fake.appSecret = 'some_other_app_secret';
    fake.deliveryAttempts = 1;
    try {
      const status = await fake.emitChanges([
        {
          value: fake.messageValue({ type: 'text', text: { body: 'forged' } }, { waId }),
          phoneNumberId: NUMBER_A,
        },
      ]);
      expect(status).toBe(401);
    } finally {
      fake.appSecret = APP_SECRET;
      fake.deliveryAttempts = 5;
    }
    expect(await rowsOf(agentA, waId)).toEqual([]);
  });
});

describe('coexistence echoes', () => {
  it('records what a human sent from the Business app and keeps the agent quiet', async () => {
    fake.webhook.url = agentUrl(agentA);
    const waId = newUser();
    const echo = {
      message_echoes: [
        {
          from: '15550000001',
          to: waId,
          id: `wamid.ECHO${waId}`,
          timestamp: String(Math.floor(Date.now() / 1000)),
          type: 'text',
          text: { body: 'Hi, this is Sam from the shop' },
        },
      ],
    };
    expect(await fake.emitChanges([{ value: echo, field: 'smb_message_echoes' }])).toBe(200);
    await eventually(async () => ((await rowsOf(agentA, waId)).length === 1 ? true : undefined));
    const [human] = await rowsOf(agentA, waId);
    expect(human).toMatchObject({
      role: 'human',
      direction: 'outbound',
      status: 'sent',
      content: 'Hi, this is Sam from the shop',
    });

    const turnsBefore = turns.length;
    expect(
      await fake.emitChanges([
        { value: fake.messageValue({ type: 'text', text: { body: 'thanks Sam' } }, { waId }) },
      ]),
    ).toBe(200);
    const answered = await eventually(async () => {
      const user = (await rowsOf(agentA, waId)).find((r) => r.role === 'user');
      return user?.answered_at ? user : undefined;
    });
    expect(answered.content).toBe('thanks Sam');
    expect(turns.slice(turnsBefore).some((t) => t.pending.some((m) => m.content === 'thanks Sam'))).toBe(
      false,
    );
    expect(fake.sent.filter((m) => m.to === waId)).toEqual([]);

    // The human edits, then deletes, that message in the Business app: the echoed row follows.
    const change = (id: string, type: string, body: Record<string, unknown>) => ({
      message_echoes: [
        {
          from: '15550000001',
          to: waId,
          id,
          timestamp: String(Math.floor(Date.now() / 1000)),
          type,
          [type]: { original_message_id: `wamid.ECHO${waId}`, ...body },
        },
      ],
    });
    const humanRow = async () => (await rowsOf(agentA, waId)).filter((r) => r.role === 'human');
    const edit = change(`wamid.EDIT${waId}`, 'edit', {
      message: { type: 'text', text: { body: 'Hi, this is Sam from the shop (Mon–Fri)' } },
    });
    expect(await fake.emitChanges([{ value: edit, field: 'smb_message_echoes' }])).toBe(200);
    await eventually(async () => {
      const rows = await humanRow();
      return rows[0]?.content === 'Hi, this is Sam from the shop (Mon–Fri)' ? rows : undefined;
    });
    const revoke = change(`wamid.REVOKE${waId}`, 'revoke', {});
    expect(await fake.emitChanges([{ value: revoke, field: 'smb_message_echoes' }])).toBe(200);
    const rows = await eventually(async () => {
      const all = await humanRow();
      return all[0]?.content === '[deleted]' ? all : undefined;
    });
    expect(rows).toHaveLength(1);
  });
});
