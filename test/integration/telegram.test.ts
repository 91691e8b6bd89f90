import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadFile } from '../../src/channels/telegram/api.ts';
import { splitTelegramText } from '../../src/channels/telegram/split.ts';
import type { TurnInput } from '../../src/engine/responder.ts';
import { newId } from '../../src/ids.ts';
import { createLogger } from '../../src/logger.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeTelegram, parseTelegramHtml } from '../helpers/fake-telegram.ts';
import { createAgent, createWorkspace, type TestUser } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { secret } from '../helpers/secrets.ts';

/**
 * The Telegram channel end to end, following the spec's Quick Start against the fake Bot API server:
 * real HTTP both ways, the real engine and database; the agent is a scripted responder (no LLM).
 */

const TOKEN = secret(`${700000 + Math.floor(Math.random() * 1e5)}:${randomBytes(24).toString('base64url')}`);
const WEBHOOK_SECRET = secret(`whs_${randomBytes(20).toString('hex')}`);
const PUBLIC_URL = 'https://bot.example.com';
const ESCAPE_TEXT =
  'if a < b && c > d then x * y; snake_case_name & <b>not bold</b> _ alone; 5 * 3 = 15 &amp;';

let app: TestApp;
let fake: FakeTelegram;
let owner: TestUser;
let orgId: string;
let projectId: string;
let agentId: string;
const turns: TurnInput[] = [];
let nextUser = 5550001000;

const sentences = (n: number) =>
  Array.from({ length: n }, (_, i) => `Sentence ${String(i).padStart(4, '0')} says something useful.`).join(
    ' ',
  );
const LONG_TEXT = [sentences(100), sentences(120), sentences(60)].join('\n\n');
const LONG_PARTS = splitTelegramText(LONG_TEXT).length;
/** About 9,000 characters of TypeScript with blank lines and characters HTML must escape. */
const CODE = Array.from({ length: 180 }, (_, i) =>
  i % 9 === 4 ? '' : `  if (a${i} < b && c > "d") total += ${i}; // step ${i}`,
).join('\n');
const CODE_TEXT = `Here is the script:\n\n\`\`\`ts\n${CODE}\n\`\`\`\n\nRun it with node.`;
const PHOTOS = [
  { type: 'image' as const, url: 'https://cdn.example.com/a.png', name: 'front' },
  { type: 'image' as const, url: 'https://cdn.example.com/b.png', name: 'back' },
];
const BUTTONS = [
  { label: 'Yes', value: 'answer:yes' },
  { label: 'No', value: 'answer:no' },
];

/** Ends the SLOW turn; set while it runs. */
let releaseSlow: (() => void) | undefined;

async function responder(input: TurnInput) {
  turns.push(input);
  const said = input.pending.map((m) => m.content).join('|');
  if (said.includes('ESCAPE')) return { text: ESCAPE_TEXT };
  if (said.includes('LONG')) return { text: LONG_TEXT };
  if (said.includes('CODE')) return { text: CODE_TEXT };
  if (said.includes('ALBUM')) return { text: 'Two photos', attachments: PHOTOS, buttons: BUTTONS };
  if (said.includes('FILEONLY')) {
    return {
      text: '  ',
      attachments: [{ type: 'document' as const, url: 'https://cdn.example.com/i.pdf', name: 'invoice.pdf' }],
    };
  }
  if (said.includes('SLOW')) {
    // The agent "thinks" until the test has seen the typing indicator repeat (no race against a timer).
    await new Promise<void>((resolve) => (releaseSlow = resolve));
    return { text: 'thought about it' };
  }
  if (said.includes('BUTTONS')) {
    return {
      text: 'Pick one',
      buttons: BUTTONS,
      attachments: [{ type: 'image' as const, url: 'https://cdn.example.com/p.png', name: 'menu' }],
    };
  }
  return { text: `Hello **${input.contact.displayName ?? 'there'}**, you said: ${said}` };
}

const channelsPath = (agent = agentId) =>
  `/api/v1/channels/organizations/${orgId}/projects/${projectId}/agents/${agent}/channels`;
const webhookUrl = (agent = agentId) => `${PUBLIC_URL}/api/v1/channels/webhooks/telegram/${agent}`;
const user = (first_name = 'Lena', username?: string) => ({
  id: ++nextUser,
  first_name,
  ...(username ? { username } : {}),
});
const sends = (chatId: number) => fake.callsOf('sendMessage', chatId);
const inboundCount = async () =>
  (await app.database.query<{ n: number }>('select count(*)::int as n from inbound_events'))[0]?.n;

async function conversationOf(userId: number) {
  const res = await app.call(
    'GET',
    `/api/v1/organizations/${orgId}/projects/${projectId}/agents/${agentId}/conversations?user_identifier=telegram:${userId}`,
    { token: owner.token },
  );
  expect(res.status, res.text).toBe(200);
  return res.body.data[0] as { _id: string; channel_metadata: Record<string, unknown> } | undefined;
}

async function messagesOf(userId: number) {
  return app.database.query<{
    role: string;
    content: string;
    status: string;
    attachments: unknown[];
    buttons: unknown[] | null;
    attempts: number;
    provider_message_id: string | null;
  }>(
    `select m.role, m.content, m.status, m.attachments, m.buttons, m.attempts, m.provider_message_id
     from messages m join conversations c on c.id = m.conversation_id
     where c.user_identifier = $1 order by m.seq`,
    [`telegram:${userId}`],
  );
}

beforeAll(async () => {
  fake = await new FakeTelegram(TOKEN, 'my_ai_assistant_bot').start();
  app = await startTestApp(
    {
      PUBLIC_URL,
      TELEGRAM_API_ROOT: fake.url,
      TURN_DEBOUNCE_MS: 'telegram=0',
      CHANNEL_CONFIG_WRITES_PER_MINUTE: '1000',
      CHANNEL_TESTS_PER_MINUTE: '1000',
    },
    undefined,
    { engine: { responder } },
  );
  // Telegram would POST to the public HTTPS URL; the fake reaches this process's server instead.
  fake.deliverTo = (url) => `${app.url}${new URL(url).pathname}`;
  ({ owner, orgId, projectId, agentId } = await createWorkspace(app, 'telegram'));
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe("the spec's Quick Start against the fake Bot API", () => {
  it('configures, sets the webhook, receives a message and answers with escaped HTML; analytics and channel_metadata follow', async () => {
    const put = await app.call('PUT', channelsPath(), {
      token: owner.token,
      body: {
        telegram: {
          enabled: true,
          bot_token: TOKEN,
          bot_username: 'my_ai_assistant_bot',
          webhook_secret: WEBHOOK_SECRET,
        },
      },
    });
    expect(put.status, put.text).toBe(200);
    const setup = await app.call('POST', `${channelsPath()}/telegram/webhook/setup`, {
      token: owner.token,
      body: { webhook_url: webhookUrl() },
    });
    expect(setup.status, setup.text).toBe(200);
    const setWebhook = fake.callsOf('setWebhook').at(-1);
    expect(setWebhook?.params).toEqual({
      url: webhookUrl(),
      secret_token: WEBHOOK_SECRET,
      allowed_updates: ['message', 'edited_message', 'callback_query', 'my_chat_member'],
      max_connections: 40,
    });
    const info = await app.call('GET', `${channelsPath()}/telegram/webhook/info`, { token: owner.token });
    expect(info.status).toBe(200);
    expect(info.body.webhook_info).toMatchObject({
      url: webhookUrl(),
      has_custom_certificate: false,
      pending_update_count: 0,
      last_error_date: null,
      max_connections: 40,
    });

    const lena = user('Lena <&>', 'lena_x');
    expect(await fake.deliver(fake.textUpdate(lena, 'Where is my order?'))).toBe(200);
    const sent = await eventually(() => sends(lena.id)[0]);
    expect(sent.params.parse_mode).toBe('HTML');
    expect(sent.params.text).toBe('Hello <b>Lena &lt;&amp;&gt;</b>, you said: Where is my order?');
    // A typing indicator went out for the turn, before the reply.
    const typing = fake.callsOf('sendChatAction', lena.id);
    expect(typing[0]?.params.action).toBe('typing');
    expect(typing[0]?.at).toBeLessThanOrEqual(sent.at);

    const channels = await app.call('GET', channelsPath(), { token: owner.token });
    expect(channels.body.data.telegram).toMatchObject({ enabled: true, bot_username: 'my_ai_assistant_bot' });
    await eventually(async () => {
      const again = await app.call('GET', channelsPath(), { token: owner.token });
      return again.body.data.analytics.total_messages_by_channel.telegram >= 2 ? true : undefined;
    });
    const conversation = await conversationOf(lena.id);
    expect(conversation?.channel_metadata).toEqual({
      platform_user_id: `telegram:${lena.id}`,
      chat_id: String(lena.id),
      username: '@lena_x',
    });
    expect(turns.at(-1)?.channel).toBe('telegram');
  });

  it('derives the webhook URL from PUBLIC_URL when none is given', async () => {
    const setup = await app.call('POST', `${channelsPath()}/telegram/webhook/setup`, {
      token: owner.token,
      body: {},
    });
    expect(setup.status, setup.text).toBe(200);
    expect(setup.body.webhook_url).toBe(webhookUrl());
    expect(fake.webhook.url).toBe(webhookUrl());
  });

  it('tests the connection: bot username and webhook state; a username mismatch fails', async () => {
    const ok = await app.call('POST', `${channelsPath()}/telegram/test`, { token: owner.token });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({
      success: true,
      message: 'Telegram connection test successful',
      details: { bot_username: 'my_ai_assistant_bot', webhook_set: true },
    });
    const other = await createAgent(app, owner.token, orgId, projectId);
    await app.call('PUT', channelsPath(other), {
      token: owner.token,
      body: { telegram: { enabled: true, bot_token: TOKEN, bot_username: 'someone_else_bot' } },
    });
    const mismatch = await app.call('POST', `${channelsPath(other)}/telegram/test`, { token: owner.token });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toEqual({
      success: false,
      error: 'Bot username does not match the bot token',
      details: { configured_bot_username: 'someone_else_bot', bot_username: 'my_ai_assistant_bot' },
    });
  });
});

describe('inbound webhook', () => {
  it('answers 401 to a forged or missing secret and stores nothing', async () => {
    const before = await inboundCount();
    const forger = user('Forger');
    fake.deliveryAttempts = 1;
    try {
      expect(await fake.deliver(fake.textUpdate(forger, 'hi'), { secret: `${WEBHOOK_SECRET}x` })).toBe(401);
      expect(await fake.deliver(fake.textUpdate(forger, 'hi'), { secret: null })).toBe(401);
      expect(await fake.deliver(fake.textUpdate(forger, 'hi'), { secret: 'short' })).toBe(401);
    } finally {
      fake.deliveryAttempts = 5;
    }
    expect(await inboundCount()).toBe(before);
    expect(await conversationOf(forger.id)).toBeUndefined();
  });

  it('records an update delivered twice once, and replies once', async () => {
    const twice = user('Twice');
    const update = fake.textUpdate(twice, 'only once please');
    expect(await fake.deliver(update)).toBe(200);
    expect(await fake.deliver(update)).toBe(200);
    await eventually(() => sends(twice.id)[0]);
    // Give a second (wrong) reply every chance to show up before asserting it did not.
    await new Promise((r) => setTimeout(r, 600));
    expect(sends(twice.id)).toHaveLength(1);
    expect((await messagesOf(twice.id)).map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('answers 404 for an unknown agent and a disabled channel; Telegram keeps retrying non-2xx', async () => {
    const unknown = await fetch(`${app.url}/api/v1/channels/webhooks/telegram/${newId('agent')}`, {
      method: 'POST',
      headers: { 'x-telegram-bot-api-secret-token': WEBHOOK_SECRET, 'content-type': 'application/json' },
      body: JSON.stringify(fake.textUpdate(user(), 'hi')),
    });
    expect(unknown.status).toBe(404);
    const other = await createAgent(app, owner.token, orgId, projectId);
    await app.call('PUT', channelsPath(other), {
      token: owner.token,
      body: { telegram: { enabled: false, bot_token: TOKEN, webhook_secret: WEBHOOK_SECRET } },
    });
    const saved = fake.webhook.url;
    fake.webhook.url = webhookUrl(other);
    const update = fake.textUpdate(user(), 'hi');
    try {
      expect(await fake.deliver(update)).toBe(404);
    } finally {
      fake.webhook.url = saved;
    }
    expect(fake.deliveries.filter((d) => d.updateId === update.update_id).map((d) => d.status)).toEqual([
      404, 404, 404, 404, 404,
    ]);
    const info = await app.call('GET', `${channelsPath()}/telegram/webhook/info`, { token: owner.token });
    expect(info.body.webhook_info.last_error_date).toEqual(expect.any(Number));
  });

  it('records photos and documents as attachment metadata and fetches bytes through getFile on demand', async () => {
    const sender = user('Pat');
    const update = fake.textUpdate(sender, '', {
      text: undefined,
      caption: 'damaged box',
      photo: [
        { file_id: 'small', file_unique_id: 's', width: 90, height: 67, file_size: 1203 },
        { file_id: 'large-photo', file_unique_id: 'l', width: 1280, height: 960, file_size: 98231 },
      ],
    });
    expect(await fake.deliver(update)).toBe(200);
    const doc = fake.textUpdate(sender, '', {
      text: undefined,
      document: {
        file_id: 'doc-1',
        file_unique_id: 'd',
        file_name: 'invoice.pdf',
        mime_type: 'application/pdf',
        file_size: 40211,
      },
    });
    expect(await fake.deliver(doc)).toBe(200);
    const inbound = await eventually(async () => {
      const rows = (await messagesOf(sender.id)).filter((m) => m.role === 'user');
      return rows.length === 2 ? rows : undefined;
    });
    expect(inbound[0]).toMatchObject({
      content: 'damaged box',
      attachments: [{ type: 'image', ref: 'large-photo', size: 98231 }],
    });
    expect(inbound[1]).toMatchObject({
      content: '[document: invoice.pdf]',
      attachments: [
        { type: 'document', ref: 'doc-1', name: 'invoice.pdf', mime_type: 'application/pdf', size: 40211 },
      ],
    });
    expect(fake.callsOf('getFile')).toHaveLength(0);
    fake.addFile('doc-1', Buffer.from('%PDF-1.7 fake'));
    const account = await app.channelAccounts.resolve(agentId, 'telegram');
    const bytes = await downloadFile(
      {
        account: account!,
        fetch,
        fetchPublic: fetch,
        now: Date.now,
        logger: createLogger('silent'),
        apiRoots: { telegram: fake.url },
      },
      'doc-1',
    );
    expect(Buffer.from(bytes).toString()).toBe('%PDF-1.7 fake');
  });

  it('records an edited message as an edit, not a new message', async () => {
    const editor = user('Ed');
    const original = fake.textUpdate(editor, 'teh original');
    expect(await fake.deliver(original)).toBe(200);
    await eventually(() => sends(editor.id)[0]);
    const edit = {
      update_id: fake.newUpdateId(),
      edited_message: { ...original.message, text: 'the original', edit_date: 1 },
    };
    expect(await fake.deliver(edit)).toBe(200);
    const rows = await eventually(async () => {
      const all = await messagesOf(editor.id);
      return all[0]?.content === 'the original' ? all : undefined;
    });
    expect(rows.filter((m) => m.role === 'user')).toHaveLength(1);
  });

  it('answers a callback query and hands its data to the agent as the user message', async () => {
    const presser = user('Presser');
    const update = fake.callbackUpdate(presser, 'answer:yes');
    expect(await fake.deliver(update)).toBe(200);
    const answered = await eventually(() => fake.callsOf('answerCallbackQuery')[0]);
    expect(answered.params.callback_query_id).toBe(update.callback_query.id);
    await eventually(() => sends(presser.id)[0]);
    expect(turns.some((t) => t.pending.some((m) => m.content === 'answer:yes'))).toBe(true);
  });

  it('takes group messages only when the bot is mentioned or replied to, and only from allowed_chats when set', async () => {
    const member = user('Grace');
    const group = { id: -100123, type: 'supergroup', title: 'Team' };
    const inGroup = (text: string, extra: object = {}, chat = group) => {
      const u = fake.textUpdate(member, text, extra);
      return { ...u, message: { ...u.message, chat } };
    };
    const mention = (text: string) => ({ entities: [{ type: 'mention', offset: 0, length: 20 }], text });
    expect(await fake.deliver(inGroup('just chatting'))).toBe(200);
    expect(
      await fake.deliver(inGroup('@my_ai_assistant_bot help', mention('@my_ai_assistant_bot help'))),
    ).toBe(200);
    const sent = await eventually(() => sends(group.id)[0]);
    expect(sent.params.text).toContain('@my_ai_assistant_bot help');
    const user1 = (await messagesOf(member.id)).filter((m) => m.role === 'user').map((m) => m.content);
    expect(user1).toEqual(['@my_ai_assistant_bot help']);

    await app.call('PUT', channelsPath(), {
      token: owner.token,
      body: { telegram: { allowed_chats: ['-100999'] } },
    });
    await eventually(async () =>
      (await app.channelAccounts.resolve(agentId, 'telegram'))?.settings.allowed_chats ? true : undefined,
    );
    const blocked = inGroup('@my_ai_assistant_bot again', mention('@my_ai_assistant_bot again'));
    expect(await fake.deliver(blocked)).toBe(200);
    const allowedChat = { id: -100999, type: 'group', title: 'Allowed' };
    const replyToBot = {
      reply_to_message: {
        message_id: 3,
        from: { id: 1, is_bot: true, username: 'my_ai_assistant_bot' },
        chat: allowedChat,
        text: 'Earlier answer',
      },
    };
    expect(await fake.deliver(inGroup('thanks!', replyToBot, allowedChat))).toBe(200);
    await eventually(() => sends(allowedChat.id)[0]);
    const user2 = (await messagesOf(member.id)).filter((m) => m.role === 'user').map((m) => m.content);
    expect(user2).toEqual(['@my_ai_assistant_bot help', '> Earlier answer\n\nthanks!']);
    await app.call('PUT', channelsPath(), {
      token: owner.token,
      body: { telegram: { allowed_chats: null } },
    });
  });
});

describe('outbound', () => {
  it('splits a 10,000-character reply into ordered parts within 4096 characters, at sentence boundaries', async () => {
    const reader = user('Reader');
    expect(await fake.deliver(fake.textUpdate(reader, 'LONG please'))).toBe(200);
    const parts = await eventually(() => {
      const all = sends(reader.id);
      return all.length >= LONG_PARTS ? all : undefined;
    });
    expect(LONG_PARTS).toBeGreaterThanOrEqual(3);
    const texts = parts.map((p) => parseTelegramHtml(p.params.text));
    expect(LONG_TEXT.length).toBeGreaterThan(10_000);
    for (const text of texts) {
      expect(text.length).toBeLessThanOrEqual(4096);
      expect(text).toMatch(/^Sentence \d{4}/);
      expect(text).toMatch(/useful\.$/);
    }
    const normalize = (s: string) => s.replace(/\s+/g, ' ');
    expect(normalize(texts.join(' '))).toBe(normalize(LONG_TEXT));
  });

  it('delivers text full of <, &, * and _ intact', async () => {
    const reader = user('Esc');
    expect(await fake.deliver(fake.textUpdate(reader, 'ESCAPE'))).toBe(200);
    const sent = await eventually(() => sends(reader.id)[0]);
    expect(sent.params.parse_mode).toBe('HTML');
    expect(parseTelegramHtml(sent.params.text)).toBe(ESCAPE_TEXT);
  });

  it('resends as plain text when Telegram cannot parse the entities', async () => {
    const reader = user('Plain');
    fake.failNext('sendMessage', {
      error_code: 400,
      description: 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0',
    });
    expect(await fake.deliver(fake.textUpdate(reader, 'hi'))).toBe(200);
    const calls = await eventually(() =>
      fake.callsOf('sendMessage', reader.id).length === 2
        ? fake.callsOf('sendMessage', reader.id)
        : undefined,
    );
    expect(calls[0]?.params.parse_mode).toBe('HTML');
    expect(calls[1]?.params.parse_mode).toBeUndefined();
    expect(calls[1]?.params.text).toBe('Hello **Plain**, you said: hi');
  });

  it('sends quick-reply buttons as an inline keyboard and images by URL', async () => {
    const reader = user('Buttons');
    expect(await fake.deliver(fake.textUpdate(reader, 'BUTTONS'))).toBe(200);
    const photo = await eventually(() => fake.callsOf('sendPhoto', reader.id)[0]);
    expect(photo.params).toMatchObject({
      photo: 'https://cdn.example.com/p.png',
      caption: 'menu',
      reply_markup: {
        inline_keyboard: [
          [{ text: 'Yes', callback_data: 'answer:yes' }],
          [{ text: 'No', callback_data: 'answer:no' }],
        ],
      },
    });
    expect(sends(reader.id)[0]?.params.text).toBe('Pick one');
  });

  it('sends text and each attachment as their own messages, so a 429 on a photo resends only that photo', async () => {
    const reader = user('Album');
    fake.rateLimitNext('sendPhoto', 1);
    expect(await fake.deliver(fake.textUpdate(reader, 'ALBUM'))).toBe(200);
    await eventually(
      () =>
        fake.callsOf('sendPhoto', reader.id).filter((c) => c.status === 200).length === 2 ? true : undefined,
      15_000,
    );
    expect(sends(reader.id).map((c) => c.params.text)).toEqual(['Two photos']);
    expect(sends(reader.id)[0]?.params.reply_markup).toBeUndefined();
    const photos = fake.callsOf('sendPhoto', reader.id);
    expect(photos.map((c) => [c.params.photo, c.status])).toEqual([
      [PHOTOS[0]!.url, 429],
      [PHOTOS[0]!.url, 200],
      [PHOTOS[1]!.url, 200],
    ]);
    expect(photos[1]!.at - photos[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(photos.map((c) => c.params.caption)).toEqual(['front', 'front', 'back']);
    expect(photos[1]?.params.reply_markup).toBeUndefined();
    expect(photos[2]?.params.reply_markup).toEqual({
      inline_keyboard: [
        [{ text: 'Yes', callback_data: 'answer:yes' }],
        [{ text: 'No', callback_data: 'answer:no' }],
      ],
    });
    const rows = await eventually(async () => {
      const replies = (await messagesOf(reader.id)).filter((m) => m.role === 'assistant');
      return replies.length === 3 && replies.every((m) => m.status === 'sent') ? replies : undefined;
    });
    expect(rows.map((m) => [m.content, m.attachments.length, m.buttons?.length ?? 0, m.attempts])).toEqual([
      ['Two photos', 0, 0, 1],
      ['', 1, 0, 2],
      ['', 1, 2, 1],
    ]);
  }, 20_000);

  it('sends a reply that has an attachment but no text', async () => {
    const reader = user('FileOnly');
    expect(await fake.deliver(fake.textUpdate(reader, 'FILEONLY'))).toBe(200);
    const doc = await eventually(() => fake.callsOf('sendDocument', reader.id)[0]);
    expect(doc.params).toMatchObject({ document: 'https://cdn.example.com/i.pdf', caption: 'invoice.pdf' });
    expect(doc.status).toBe(200);
    const rows = await eventually(async () => {
      const replies = (await messagesOf(reader.id)).filter((m) => m.role === 'assistant');
      return replies[0]?.status === 'sent' ? replies : undefined;
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.content).toBe('');
    expect(sends(reader.id)).toHaveLength(0);
  });

  it('resends once to the supergroup when the group chat was upgraded', async () => {
    const member = user('Migrant');
    const [oldChat, newChat] = [-4_000_000_000 - member.id, -1_009_000_000_000 - member.id];
    fake.migrateChat(oldChat, newChat);
    const text = '@my_ai_assistant_bot status?';
    const update = fake.textUpdate(member, text, { entities: [{ type: 'mention', offset: 0, length: 20 }] });
    const inGroup = {
      ...update,
      message: { ...update.message, chat: { id: oldChat, type: 'group', title: 'Old' } },
    };
    expect(await fake.deliver(inGroup)).toBe(200);
    const row = await eventually(async () => {
      const reply = (await messagesOf(member.id)).find((m) => m.role === 'assistant');
      return reply?.status === 'sent' ? reply : undefined;
    });
    expect(sends(oldChat).map((c) => c.status)).toEqual([400]);
    expect(sends(newChat).map((c) => c.status)).toEqual([200]);
    expect(sends(newChat)[0]?.params.text).toBe(sends(oldChat)[0]?.params.text);
    expect(row.attempts).toBe(1);
    expect(row.provider_message_id).toMatch(new RegExp(`^${newChat}:\\d+$`));
    const logged = app.logs
      .filter((line) => line.includes('upgraded to a supergroup'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toEqual([
      expect.objectContaining({ level: 'info', fromChatId: String(oldChat), toChatId: String(newChat) }),
    ]);
  });

  it('splits a long code block into parts that each render as a closed <pre> with its language', async () => {
    const reader = user('Coder');
    expect(await fake.deliver(fake.textUpdate(reader, 'CODE please'))).toBe(200);
    const expected = splitTelegramText(CODE_TEXT).length;
    expect(expected).toBeGreaterThanOrEqual(3);
    const calls = await eventually(() =>
      sends(reader.id).length >= expected ? sends(reader.id) : undefined,
    );
    expect(calls.every((c) => c.status === 200 && c.params.parse_mode === 'HTML')).toBe(true);
    const pres = calls.flatMap((c) =>
      [...String(c.params.text).matchAll(/<pre><code class="language-ts">([^<]*)<\/code><\/pre>/g)].map((m) =>
        parseTelegramHtml(m[1] as string),
      ),
    );
    expect(pres.length).toBeGreaterThanOrEqual(3);
    // Blank lines where the block is cut are dropped; every other line arrives intact and in order.
    const lines = (code: string) => code.split('\n').filter((line) => line !== '');
    expect(lines(pres.join('\n'))).toEqual(lines(CODE));
    for (const call of calls) expect(parseTelegramHtml(call.params.text)).not.toContain('```');
  });

  it('repeats the typing indicator about every 4 s while the agent works', async () => {
    const reader = user('Patient');
    expect(await fake.deliver(fake.textUpdate(reader, 'SLOW'))).toBe(200);
    try {
      await eventually(
        () => (fake.callsOf('sendChatAction', reader.id).length >= 2 ? true : undefined),
        15_000,
      );
    } finally {
      releaseSlow?.();
    }
    const sent = await eventually(() => sends(reader.id)[0], 15_000);
    const typing = fake.callsOf('sendChatAction', reader.id).filter((c) => c.at <= sent.at);
    expect(typing.length).toBeGreaterThanOrEqual(2);
    expect(typing[1]!.at - typing[0]!.at).toBeGreaterThanOrEqual(3900);
  }, 20_000);

  it('waits at least retry_after before resending after a 429', async () => {
    const reader = user('Limited');
    fake.rateLimitNext('sendMessage', 2);
    expect(await fake.deliver(fake.textUpdate(reader, 'hi'))).toBe(200);
    const calls = await eventually(
      () => (sends(reader.id).length === 2 ? sends(reader.id) : undefined),
      15_000,
    );
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(2000);
    // The fake records the call before the delivery job commits its outcome.
    const last = await eventually(async () => {
      const row = (await messagesOf(reader.id)).at(-1);
      return row?.status === 'queued' ? undefined : row;
    });
    expect(last.status).toBe('sent');
  }, 20_000);

  it('marks a contact who blocked the bot and attempts no further sends; my_chat_member unblocks', async () => {
    const reader = user('Blocker');
    fake.block(reader.id);
    // A multi-part reply: the first part meets the block, the others must never be attempted.
    expect(await fake.deliver(fake.textUpdate(reader, 'LONG please'))).toBe(200);
    const replies = await eventually(async () => {
      const rows = (await messagesOf(reader.id)).filter((m) => m.role === 'assistant');
      return rows.length >= LONG_PARTS && rows.every((m) => m.status === 'failed') ? rows : undefined;
    });
    expect(replies.length).toBeGreaterThan(1);
    expect(sends(reader.id)).toHaveLength(1);
    const blockedAt = async () =>
      (
        await app.database.query<{ blocked_at: Date | null }>(
          `select blocked_at from contact_identities where channel = 'telegram' and platform_user_id = $1`,
          [String(reader.id)],
        )
      )[0]?.blocked_at;
    expect(await blockedAt()).not.toBeNull();
    const attempts = fake.calls.filter((c) => String(c.params.chat_id) === String(reader.id)).length;
    // Telegram reports the block as my_chat_member too; a later send attempt must not happen.
    const kicked = {
      update_id: fake.newUpdateId(),
      my_chat_member: {
        chat: { id: reader.id, type: 'private' },
        from: { id: reader.id, is_bot: false, first_name: 'Blocker' },
        date: 1,
        old_chat_member: { status: 'member', user: { id: 1, is_bot: true } },
        new_chat_member: { status: 'kicked', user: { id: 1, is_bot: true } },
      },
    };
    expect(await fake.deliver(kicked)).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(await blockedAt()).not.toBeNull();
    expect(fake.calls.filter((c) => String(c.params.chat_id) === String(reader.id))).toHaveLength(attempts);

    const unblocked = {
      ...kicked,
      update_id: fake.newUpdateId(),
      my_chat_member: {
        ...kicked.my_chat_member,
        new_chat_member: { status: 'member', user: { id: 1, is_bot: true } },
      },
    };
    expect(await fake.deliver(unblocked)).toBe(200);
    await eventually(async () => ((await blockedAt()) === null ? true : undefined));
  });

  it('never writes the bot token into logs or responses (checked again by the leak check on close)', () => {
    expect(app.logs.some((line) => line.includes(TOKEN))).toBe(false);
    expect(app.logs.some((line) => line.includes(TOKEN.split(':')[1] as string))).toBe(false);
  });
});
