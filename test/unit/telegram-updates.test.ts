import { describe, expect, it } from 'vitest';
import type { AdapterContext, InboundEvent } from '../../src/channels/types.ts';
import { parseUpdate } from '../../src/channels/telegram/updates.ts';

/** Telegram updates as the Bot API sends them (optional fields absent), through the pure parser. */

const ctx = { account: { settings: { bot_username: 'hardened_bot' } } } as unknown as AdapterContext;
const BOT = { id: 7100000001, is_bot: true, first_name: 'Hardened', username: 'hardened_bot' };
const ANA = { id: 5550001111, is_bot: false, first_name: 'Ana' };
const FORUM = { id: -1001234567890, title: 'Helpers', is_forum: true, type: 'supergroup' };
const DATE = 1_767_225_600;

const messageOf = (events: InboundEvent[]) => {
  expect(events).toHaveLength(1);
  const [event] = events;
  if (event?.kind !== 'message') throw new Error('expected a message event');
  return event;
};

describe('messages sent on behalf of a chat are never answered', () => {
  const channel = { id: -1009876543210, title: 'News', type: 'channel' };
  const group = { id: -1005550000000, title: 'News chat', type: 'supergroup' };

  it('a channel post automatically forwarded into its discussion group, mentioning the bot', () => {
    const update = {
      update_id: 900001,
      message: {
        message_id: 40,
        // The fake sender Telegram puts in `from` for automatic forwards: not a bot.
        from: { id: 777000, is_bot: false, first_name: 'Telegram' },
        sender_chat: channel,
        chat: group,
        date: DATE,
        forward_origin: { type: 'channel', chat: channel, message_id: 12, date: DATE },
        is_automatic_forward: true,
        text: 'New release! Ask @hardened_bot',
        entities: [{ offset: 17, length: 13, type: 'mention' }],
      },
    };
    expect(parseUpdate(update, ctx)).toEqual([]);
  });

  it('a user writing as their channel in a group', () => {
    const update = {
      update_id: 900002,
      message: {
        message_id: 41,
        from: { id: 136817688, is_bot: true, first_name: 'Channel', username: 'Channel_Bot' },
        sender_chat: channel,
        chat: group,
        date: DATE,
        text: '@hardened_bot hi',
        entities: [{ offset: 0, length: 13, type: 'mention' }],
      },
    };
    expect(parseUpdate(update, ctx)).toEqual([]);
  });

  it('a member in the same group mentioning the bot is answered', () => {
    const update = {
      update_id: 900003,
      message: {
        message_id: 42,
        from: ANA,
        chat: group,
        date: DATE,
        text: '@hardened_bot hi',
        entities: [{ offset: 0, length: 13, type: 'mention' }],
      },
    };
    expect(messageOf(parseUpdate(update, ctx)).sender.chatId).toBe(String(group.id));
  });
});

describe('forum topics', () => {
  // The service message that created topic 163; its id is the topic's message_thread_id.
  const root = {
    message_id: 163,
    from: BOT,
    chat: FORUM,
    date: DATE,
    message_thread_id: 163,
    forum_topic_created: { name: 'Orders', icon_color: 7322096 },
    is_topic_message: true,
  };

  it('a message in a topic the bot created is no reply to the bot: not answered without a mention', () => {
    const update = {
      update_id: 900010,
      message: {
        message_id: 187,
        from: ANA,
        chat: FORUM,
        date: DATE,
        message_thread_id: 163,
        reply_to_message: root,
        is_topic_message: true,
        text: 'talking to the others here',
      },
    };
    expect(parseUpdate(update, ctx)).toEqual([]);
  });

  it('a real reply to the bot in a topic is answered in the topic', () => {
    const answer = { ...root, message_id: 170, forum_topic_created: undefined, text: 'Your parcel left.' };
    const update = {
      update_id: 900011,
      message: {
        message_id: 188,
        from: ANA,
        chat: FORUM,
        date: DATE,
        message_thread_id: 163,
        reply_to_message: JSON.parse(JSON.stringify(answer)),
        is_topic_message: true,
        text: 'thanks, when does it arrive?',
      },
    };
    const event = messageOf(parseUpdate(update, ctx));
    expect(event.sender.chatId).toBe(`${FORUM.id}/163`);
    expect(event.text).toBe('> Your parcel left.\n\nthanks, when does it arrive?');
  });

  it('a button pressed under the bot’s message in a topic is answered in that topic', () => {
    const update = {
      update_id: 900012,
      callback_query: {
        id: '4382bfdwdsb323b2d9',
        from: ANA,
        message: {
          message_id: 171,
          from: BOT,
          chat: FORUM,
          date: DATE,
          message_thread_id: 163,
          is_topic_message: true,
          text: 'Confirm?',
          reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'confirm:yes' }]] },
        },
        chat_instance: '-3311223344556677889',
        data: 'confirm:yes',
      },
    };
    const event = messageOf(parseUpdate(update, ctx));
    expect(event.sender).toMatchObject({ platformUserId: String(ANA.id), chatId: `${FORUM.id}/163` });
    expect(event.acknowledgeRef).toBe('4382bfdwdsb323b2d9');
  });
});

describe('callback queries', () => {
  it('a button under a channel post is recorded and acknowledged, never answered in the channel', () => {
    const update = {
      update_id: 900020,
      callback_query: {
        id: '5001',
        from: ANA,
        message: {
          message_id: 9,
          sender_chat: { id: -1009876543210, title: 'News', type: 'channel' },
          chat: { id: -1009876543210, title: 'News', type: 'channel' },
          date: DATE,
          text: 'Vote',
        },
        chat_instance: '-1',
        data: 'vote:1',
      },
    };
    const event = messageOf(parseUpdate(update, ctx));
    expect(event.sender.chatId).toBe(String(ANA.id));
    expect(event.noReply).toEqual(expect.any(String));
    expect(event.acknowledgeRef).toBe('5001');
  });
  it('a game button (game_short_name, no data) is recorded and acknowledged, never answered', () => {
    const group = { id: -1005550000001, title: 'Players', type: 'supergroup' };
    const update = {
      update_id: 900021,
      callback_query: {
        id: '5002',
        from: ANA,
        message: { message_id: 12, from: BOT, chat: group, date: DATE, game: { title: 'Snake' } },
        chat_instance: '-2',
        game_short_name: 'snake',
      },
    };
    const event = messageOf(parseUpdate(update, ctx));
    expect(event).toMatchObject({ text: '[game: snake]', acknowledgeRef: '5002', noReply: 'game button' });
    // Recorded in the presser's private conversation: the group conversation's reply address stays.
    expect(event.sender.chatId).toBe(String(ANA.id));
  });

  it('a button in a group outside allowed_chats is recorded and acknowledged, never answered there', () => {
    const group = { id: -1005550000002, title: 'Old group', type: 'supergroup' };
    const restricted = {
      account: { settings: { bot_username: 'hardened_bot', allowed_chats: ['-1005550000003'] } },
    } as unknown as AdapterContext;
    const update = {
      update_id: 900023,
      callback_query: {
        id: '5004',
        from: ANA,
        message: { message_id: 14, from: BOT, chat: group, date: DATE, text: 'Confirm?' },
        chat_instance: '-4',
        data: 'confirm:yes',
      },
    };
    const event = messageOf(parseUpdate(update, restricted));
    expect(event).toMatchObject({ text: 'confirm:yes', acknowledgeRef: '5004' });
    expect(event.noReply).toBe('button in a group outside allowed_chats');
    expect(event.sender.chatId).toBe(String(ANA.id));
    // In an allowed group the same press is answered there.
    const allowed = messageOf(
      parseUpdate(
        {
          ...update,
          callback_query: {
            ...update.callback_query,
            message: { ...update.callback_query.message, chat: { ...group, id: -1005550000003 } },
          },
        },
        restricted,
      ),
    );
    expect(allowed.noReply).toBeUndefined();
    expect(allowed.sender.chatId).toBe('-1005550000003');
  });

  it('a button under an inline-mode message is recorded and acknowledged, never answered in private', () => {
    const update = {
      update_id: 900022,
      callback_query: {
        id: '5003',
        from: ANA,
        inline_message_id: 'AAAAAKqKAQBlAAAAAEc1kw',
        chat_instance: '-3',
        data: 'rate:5',
      },
    };
    const event = messageOf(parseUpdate(update, ctx));
    expect(event).toMatchObject({ text: 'rate:5', acknowledgeRef: '5003' });
    expect(event.noReply).toBe('button under an inline-mode message');
    expect(event.sender.chatId).toBe(String(ANA.id));
  });
});

describe('replies', () => {
  it('quotes the part of the replied-to message the user picked, not its beginning', () => {
    const long = `${'Intro. '.repeat(60)}The refund is 20 EUR.`;
    const update = {
      update_id: 900030,
      message: {
        message_id: 50,
        from: ANA,
        chat: { id: ANA.id, first_name: 'Ana', type: 'private' },
        date: DATE,
        reply_to_message: {
          message_id: 49,
          from: BOT,
          chat: { id: ANA.id, first_name: 'Ana', type: 'private' },
          date: DATE,
          text: long,
        },
        quote: { text: 'The refund is 20 EUR.', position: long.length - 21 },
        text: 'why so little?',
      },
    };
    expect(messageOf(parseUpdate(update, ctx)).text).toBe('> The refund is 20 EUR.\n\nwhy so little?');
  });
});
