import { expect } from 'vitest';
import type { RawRequest } from '../../src/channels/types.ts';
import { telegram } from '../../src/channels/telegram/index.ts';
import { SECRET_HEADER } from '../../src/channels/telegram/webhook.ts';
import { startFakeTelegram, type FakeTelegram } from '../helpers/fake-telegram.ts';
import { adapterContract } from './adapter-contract.ts';

const TOKEN = '123456789:AAcontract-secret-token_0123456789ab';
const SECRET = 'contract_webhook_secret_0123456789';
const user = { id: 5550001, first_name: 'Ada', username: 'ada' };

let fake: FakeTelegram;

const request = (payload: unknown, headers: Record<string, string>): RawRequest => ({
  method: 'POST',
  url: 'https://switchboard.example/api/v1/channels/webhooks/telegram/agent_contract',
  headers: new Headers({ 'content-type': 'application/json', ...headers }),
  body: new TextEncoder().encode(JSON.stringify(payload)),
});

const update = (id: number, body: object) => ({ update_id: id, ...body });
const from = { ...user, is_bot: false };
const chat = { id: user.id, type: 'private', first_name: 'Ada' };

adapterContract({
  adapter: telegram,
  config: { bot_token: TOKEN, bot_username: 'contract_bot', webhook_secret: SECRET },
  invalidConfigs: [
    { config: { bot_token: 'not-a-token' }, field: 'bot_token' },
    { config: { bot_token: TOKEN, webhook_secret: 'has spaces' }, field: 'webhook_secret' },
    { config: { bot_token: TOKEN, bot_username: 'no' }, field: 'bot_username' },
  ],
  async startFake() {
    fake = await startFakeTelegram(TOKEN, 'contract_bot');
    return { apiRoots: { telegram: fake.url }, stop: () => fake.close() };
  },
  signed: (payload) => request(payload, { [SECRET_HEADER]: SECRET }),
  forged: (payload) => [
    { name: 'wrong secret', request: request(payload, { [SECRET_HEADER]: `${SECRET}x` }) },
    { name: 'secret prefix', request: request(payload, { [SECRET_HEADER]: SECRET.slice(0, 10) }) },
    { name: 'no header', request: request(payload, {}) },
  ],
  fixtures: [
    {
      name: 'private text message',
      payload: update(9001, { message: { message_id: 11, from, chat, date: 1700000000, text: 'hello' } }),
      expect: (events) =>
        expect(events).toEqual([
          expect.objectContaining({
            kind: 'message',
            eventId: '9001',
            text: 'hello',
            sender: expect.objectContaining({ platformUserId: String(user.id), username: '@ada' }),
          }),
        ]),
    },
    {
      name: 'photo with caption',
      payload: update(9002, {
        message: {
          message_id: 12,
          from,
          chat,
          date: 1700000001,
          caption: 'look',
          photo: [
            { file_id: 'small', file_unique_id: 's', width: 90, height: 90, file_size: 1000 },
            { file_id: 'large', file_unique_id: 'l', width: 800, height: 800, file_size: 90000 },
          ],
        },
      }),
      expect: (events) => {
        expect(events).toHaveLength(1);
        const event = events[0];
        expect(event?.kind === 'message' && event.attachments?.[0]).toMatchObject({
          type: 'image',
          ref: 'large',
        });
      },
    },
    {
      name: 'pressed inline button',
      payload: update(9003, {
        callback_query: {
          id: 'cb1',
          from,
          message: { message_id: 13, chat, date: 1700000002, text: 'Choose' },
          chat_instance: '1',
          data: 'option_a',
        },
      }),
      expect: (events) =>
        expect(events).toEqual([
          expect.objectContaining({ kind: 'message', text: 'option_a', acknowledgeRef: 'cb1' }),
        ]),
    },
    {
      name: 'bot blocked',
      payload: update(9004, {
        my_chat_member: {
          chat,
          from,
          date: 1700000003,
          old_chat_member: { status: 'member', user: { id: 1, is_bot: true, first_name: 'Bot' } },
          new_chat_member: { status: 'kicked', user: { id: 1, is_bot: true, first_name: 'Bot' } },
        },
      }),
      expect: (events) =>
        expect(events).toEqual([
          expect.objectContaining({ kind: 'contact', platformUserId: String(user.id), blocked: true }),
        ]),
    },
  ],
  unreachable: { apiRoots: { telegram: 'http://127.0.0.1:1' } },
  recipient: { platformUserId: String(user.id), chatId: String(user.id) },
  errorCases: [
    {
      name: '429 with retry_after',
      inject: () => fake.rateLimitNext('sendMessage', 3),
      expect: { retryable: true, code: 'rate_limited', minRetryAfterMs: 3000 },
    },
    {
      name: '403 blocked by the user',
      inject: () =>
        fake.failNext('sendMessage', {
          error_code: 403,
          description: 'Forbidden: bot was blocked by the user',
        }),
      expect: { retryable: false, code: 'blocked', blocked: true },
    },
    {
      name: '400 chat not found',
      inject: () =>
        fake.failNext('sendMessage', { error_code: 400, description: 'Bad Request: chat not found' }),
      expect: { retryable: false, code: 'bad_request' },
    },
    {
      name: '401 bad token',
      inject: () => fake.failNext('sendMessage', { error_code: 401, description: 'Unauthorized' }),
      expect: { retryable: false, code: 'unauthorized' },
    },
    {
      name: '502 from Telegram',
      inject: () => fake.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' }),
      expect: { retryable: true, code: /^http_5/ },
    },
  ],
});
