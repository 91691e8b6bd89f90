import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/loopback-peer.ts';
import { startTelegramApp, type TelegramApp } from '../helpers/telegram-app.ts';

/**
 * Telegram Message kinds against the fake Bot API, end to end (webhook → engine → stored message → reply): each is
 * stored meaningfully or ignored on purpose, and nothing empty is ever answered. Group commands addressed to the bot
 * count as mentions; forum-topic messages are answered in their topic.
 */

let tg: TelegramApp;

beforeAll(async () => {
  tg = await startTelegramApp();
});
afterAll(() => tg?.close());

type User = { id: number; first_name: string };
const file = (id: string, extra: object = {}) => ({ file_id: id, file_unique_id: `u${id}`, ...extra });

/** An update whose message carries `fields` (and no text unless given), in the user's private chat by default. */
function update(
  user: User,
  fields: object,
  chat: object = { id: user.id, type: 'private', first_name: user.first_name },
) {
  const update_id = tg.fake.newUpdateId();
  return {
    update_id,
    message: {
      message_id: update_id,
      from: { id: user.id, is_bot: false, first_name: user.first_name },
      chat,
      date: Math.floor(Date.now() / 1000),
      ...fields,
    },
  };
}

/** Delivers the update, then a text marker, and returns what got stored for the user once the marker is answered. */
async function storedAfter(user: User, fields: object, answeredAs?: string) {
  expect(await tg.fake.deliver(update(user, fields))).toBe(200);
  // A kind that is answered gets its own turn before MARKER arrives (else one turn could answer both).
  if (answeredAs) {
    await eventually(async () =>
      (await tg.messagesOf(user.id)).some((r) => r.role === 'assistant' && r.content === answeredAs)
        ? true
        : undefined,
    );
  }
  expect(await tg.fake.deliver(tg.fake.textUpdate(user, 'MARKER'))).toBe(200);
  return eventually(async () => {
    const rows = await tg.messagesOf(user.id);
    return rows.some((r) => r.role === 'assistant' && r.content.includes('MARKER')) ? rows : undefined;
  });
}
const userTexts = (rows: { role: string; content: string }[]) =>
  rows.filter((r) => r.role === 'user').map((r) => r.content);

describe('Telegram message kinds', () => {
  const stored: Array<[string, object, string, object?]> = [
    [
      'video note',
      { video_note: file('vn1', { length: 240, duration: 5 }) },
      '[video message]',
      { type: 'video', ref: 'vn1' },
    ],
    [
      'venue',
      {
        location: { latitude: 52.52, longitude: 13.405 },
        venue: {
          location: { latitude: 52.52, longitude: 13.405 },
          title: 'Cafe Blau',
          address: 'Torstr. 1, Berlin',
        },
      },
      '[venue: Cafe Blau, Torstr. 1, Berlin (52.52, 13.405)]',
      {
        type: 'location',
        extra: { latitude: 52.52, longitude: 13.405, title: 'Cafe Blau', address: 'Torstr. 1, Berlin' },
      },
    ],
    [
      'poll',
      {
        poll: {
          id: 'p1',
          question: 'Lunch?',
          options: [
            { text: 'Pizza', voter_count: 0 },
            { text: 'Salad', voter_count: 0 },
          ],
          total_voter_count: 0,
          is_closed: false,
          is_anonymous: true,
          type: 'regular',
          allows_multiple_answers: false,
        },
      },
      '[poll: Lunch? — options: Pizza / Salad]',
    ],
    ['dice', { dice: { emoji: '🎯', value: 6 } }, '[dice 🎯: 6]'],
    ['game', { game: { title: 'Snake', description: 'Eat', photo: [] } }, '[game: Snake]'],
    ['story', { story: { chat: { id: 1, type: 'private' }, id: 9 } }, '[story]'],
    [
      'invoice',
      {
        invoice: {
          title: 'Plan',
          description: 'Pro',
          start_parameter: 'x',
          currency: 'EUR',
          total_amount: 1299,
        },
      },
      '[invoice: Plan, 1299 EUR (smallest units)]',
    ],
    [
      'successful payment',
      {
        successful_payment: {
          currency: 'USD',
          total_amount: 500,
          invoice_payload: 'order-1',
          telegram_payment_charge_id: 'c',
          provider_payment_charge_id: 'p',
        },
      },
      '[payment received: 500 USD (smallest units)]',
    ],
    [
      'giveaway',
      { giveaway: { chats: [], winners_selection_date: 1, winner_count: 3 } },
      '[giveaway: 3 winners]',
    ],
    [
      'checklist',
      {
        checklist: {
          title: 'Trip',
          tasks: [
            { id: 1, text: 'Tickets' },
            { id: 2, text: 'Hotel' },
          ],
        },
      },
      '[checklist: Trip — Tickets / Hotel]',
    ],
    ['paid media', { paid_media: { star_count: 5, paid_media: [{ type: 'preview' }] } }, '[paid media]'],
    [
      'web app data',
      { web_app_data: { data: 'size=M;color=blue', button_text: 'Order' } },
      'size=M;color=blue',
    ],
    [
      'animation',
      { animation: file('an1'), document: file('an1') },
      '[animation]',
      { type: 'video', ref: 'an1' },
    ],
    ['shared users', { users_shared: { request_id: 1, users: [{ user_id: 42 }] } }, '[shared users: 42]'],
  ];

  for (const [name, fields, label, attachment] of stored) {
    it(`stores a ${name} meaningfully and answers it`, async () => {
      const user = tg.user();
      const rows = await storedAfter(user, fields, `echo: ${label}`);
      expect(userTexts(rows)).toEqual([label, 'MARKER']);
      expect(rows.find((r) => r.content === label)?.attachments).toEqual(attachment ? [attachment] : []);
      expect(rows.some((r) => r.role === 'assistant' && r.content === `echo: ${label}`)).toBe(true);
    });
  }

  const ignored: Array<[string, object]> = [
    ['new chat members', { new_chat_members: [{ id: 5, is_bot: false, first_name: 'N' }] }],
    ['left chat member', { left_chat_member: { id: 5, is_bot: false, first_name: 'N' } }],
    ['pinned message', { pinned_message: { message_id: 1, date: 0, chat: { id: 1, type: 'private' } } }],
    ['new chat title', { new_chat_title: 'Renamed' }],
    ['forum topic created', { forum_topic_created: { name: 'Support', icon_color: 1 } }],
    ['video chat started', { video_chat_started: {} }],
    ['auto-delete timer', { message_auto_delete_timer_changed: { message_auto_delete_time: 60 } }],
    ['write access allowed', { write_access_allowed: { from_request: true } }],
    ['giveaway completed', { giveaway_completed: { winner_count: 1 } }],
    ['an unknown future kind', { hologram: { id: 'h1' } }],
    ['a malformed content field', { venue: 'not an object', poll: [] }],
  ];

  for (const [name, fields] of ignored) {
    it(`ignores a ${name} on purpose: no empty message, no answer`, async () => {
      const user = tg.user();
      const rows = await storedAfter(user, fields);
      expect(userTexts(rows)).toEqual(['MARKER']);
      expect(rows.filter((r) => r.role === 'assistant')).toHaveLength(1);
    });
  }
});

describe('Telegram groups and forum topics', () => {
  const group = { id: -1001234567890, type: 'supergroup', title: 'Helpers', is_forum: true };
  const groupUpdate = (user: User, text: string, entities: object[], extra: object = {}) =>
    update(user, { text, entities, ...extra }, group);

  it('answers /help@bot in a group as a mention, and ignores a command for another bot', async () => {
    const user = tg.user('Cmd');
    const other = groupUpdate(user, '/help@someone_else_bot', [
      { type: 'bot_command', offset: 0, length: 22 },
    ]);
    expect(await tg.fake.deliver(other)).toBe(200);
    const mine = groupUpdate(user, '/help@hardened_bot', [{ type: 'bot_command', offset: 0, length: 18 }]);
    expect(await tg.fake.deliver(mine)).toBe(200);
    const sent = await eventually(() => tg.fake.callsOf('sendMessage', group.id)[0]);
    expect(sent.params.text).toBe('echo: /help@hardened_bot');
    const rows = await tg.messagesOf(user.id);
    expect(userTexts(rows)).toEqual(['/help@hardened_bot']);
  });

  it('answers a message in a forum topic in the same topic', async () => {
    const user = tg.user('Topic');
    const before = tg.fake.callsOf('sendMessage', group.id).length;
    const text = '@hardened_bot where is my parcel?';
    const inTopic = groupUpdate(user, text, [{ type: 'mention', offset: 0, length: 13 }], {
      message_thread_id: 77,
      is_topic_message: true,
    });
    expect(await tg.fake.deliver(inTopic)).toBe(200);
    const sent = await eventually(() => tg.fake.callsOf('sendMessage', group.id)[before]);
    expect(sent.params.message_thread_id).toBe(77);
    expect(sent.params.text).toBe(`echo: ${text}`);
    const typing = tg.fake.callsOf('sendChatAction', group.id).at(-1);
    expect(typing?.params.message_thread_id).toBe(77);
  });

  it('never answers a channel post automatically forwarded into its discussion group', async () => {
    const channel = { id: -1009876543210, type: 'channel', title: 'News' };
    const relayed = update(
      { id: 777000, first_name: 'Telegram' },
      {
        sender_chat: channel,
        is_automatic_forward: true,
        forward_origin: { type: 'channel', chat: channel, message_id: 12, date: 1 },
        text: 'New release! Ask @hardened_bot',
        entities: [{ type: 'mention', offset: 17, length: 13 }],
      },
      group,
    );
    const before = tg.fake.callsOf('sendMessage', group.id).length;
    expect(await tg.fake.deliver(relayed)).toBe(200);
    // A member's mention right after is answered: once it is, the relayed post had its chance.
    const user = tg.user('After');
    const mention = groupUpdate(user, '@hardened_bot hi', [{ type: 'mention', offset: 0, length: 13 }]);
    expect(await tg.fake.deliver(mention)).toBe(200);
    await eventually(() => tg.fake.callsOf('sendMessage', group.id)[before]);
    const texts = tg.fake
      .callsOf('sendMessage', group.id)
      .slice(before)
      .map((c) => c.params.text);
    expect(texts).toEqual(['echo: @hardened_bot hi']);
    expect(await tg.messagesOf(777000)).toEqual([]);
  });

  it('answers a button pressed in a forum topic in that topic', async () => {
    const user = tg.user('Button');
    const pressed = tg.fake.callbackUpdate(user, 'topic:yes');
    pressed.callback_query.message = {
      ...pressed.callback_query.message,
      chat: group,
      message_thread_id: 77,
      is_topic_message: true,
    } as typeof pressed.callback_query.message;
    const before = tg.fake.callsOf('sendMessage', group.id).length;
    expect(await tg.fake.deliver(pressed)).toBe(200);
    const sent = await eventually(() => tg.fake.callsOf('sendMessage', group.id)[before]);
    expect(sent.params).toMatchObject({ text: 'echo: topic:yes', message_thread_id: 77 });
    const answered = tg.fake.callsOf('answerCallbackQuery');
    expect(answered.some((c) => c.params.callback_query_id === pressed.callback_query.id)).toBe(true);
  });

  it('records and acknowledges a button under a channel post, and never posts into the channel', async () => {
    const user = tg.user('Voter');
    const channel = { id: -1009876500000, type: 'channel', title: 'Polls' };
    const pressed = tg.fake.callbackUpdate(user, 'vote:1');
    pressed.callback_query.message = { ...pressed.callback_query.message, chat: channel };
    expect(await tg.fake.deliver(pressed)).toBe(200);
    await eventually(() =>
      tg.fake
        .callsOf('answerCallbackQuery')
        .find((c) => c.params.callback_query_id === pressed.callback_query.id),
    );
    const rows = await eventually(async () => {
      const all = await tg.messagesOf(user.id);
      return all.length > 0 ? all : undefined;
    });
    expect(userTexts(rows)).toEqual(['vote:1']);
    await new Promise((r) => setTimeout(r, 500));
    expect(tg.fake.callsOf('sendMessage', channel.id)).toEqual([]);
    expect(tg.fake.callsOf('sendMessage', user.id)).toEqual([]);
    expect((await tg.messagesOf(user.id)).filter((r) => r.role === 'assistant')).toEqual([]);
  });

  /** Delivers a button press and, once it is acknowledged, a text from the presser; returns what was sent to them. */
  async function pressThenWrite(user: User, pressed: { callback_query: { id: string } }) {
    expect(await tg.fake.deliver(pressed)).toBe(200);
    await eventually(() =>
      tg.fake
        .callsOf('answerCallbackQuery')
        .find((c) => c.params.callback_query_id === pressed.callback_query.id),
    );
    expect(await tg.fake.deliver(tg.fake.textUpdate(user, 'MARKER'))).toBe(200);
    const sentTexts = () => tg.fake.callsOf('sendMessage', user.id).map((c) => c.params.text);
    await eventually(() => sentTexts().find((text) => String(text).includes('MARKER')));
    return { rows: await tg.messagesOf(user.id), sent: sentTexts() };
  }

  it('acknowledges a game button (no data), records it and never answers it', async () => {
    const user = tg.user('Gamer');
    const pressed = tg.fake.callbackUpdate(user, 'unused');
    const { data, ...query } = pressed.callback_query;
    expect(data).toBe('unused');
    const game = { ...pressed, callback_query: { ...query, game_short_name: 'snake' } };
    const { rows, sent } = await pressThenWrite(user, game);
    expect(userTexts(rows)).toEqual(['[game: snake]', 'MARKER']);
    expect(sent).toEqual(['echo: MARKER']);
  });

  it('acknowledges a button under an inline-mode message and never answers it in private', async () => {
    const user = tg.user('Inline');
    const pressed = tg.fake.callbackUpdate(user, 'rate:5');
    const { message, ...query } = pressed.callback_query;
    expect(message.chat.id).toBe(user.id);
    const inline = { ...pressed, callback_query: { ...query, inline_message_id: 'AAAAAKqKAQBlAAAAAEc1kw' } };
    const { rows, sent } = await pressThenWrite(user, inline);
    expect(userTexts(rows)).toEqual(['rate:5', 'MARKER']);
    expect(sent).toEqual(['echo: MARKER']);
  });
});
