import { expect } from 'vitest';
import { twilio } from '../../src/channels/twilio/index.ts';
import type {
  InboundEvent,
  InboundMessageEvent,
  InboundStatusEvent,
  RawRequest,
} from '../../src/channels/types.ts';
import { type FakeTwilio, type Params, signTwilio, startFakeTwilio } from '../helpers/fake-twilio.ts';
import { adapterContract } from './adapter-contract.ts';

/** The Twilio adapter against the shared adapter contract, with the fake Twilio on 127.0.0.1. */

const ACCOUNT_SID = `AC${'0a1b2c3d'.repeat(4)}`;
const AUTH_TOKEN = 'contract_auth_token_0123456789ab';
const SECONDARY = 'contract_secondary_token_987654';
const SHARED_KEY = 'contract_shared_key_0123456789abcdef';
const SENDER = '+14155550100';
const USER = '+4915112345678';
const URL = 'https://switchboard.example/api/v1/channels/webhooks/whatsapp/agent_contract';
const SM = (n: number) => `SM${String(n).padStart(32, '0')}`;

let fake: FakeTwilio;

const request = (params: Params, headers: Record<string, string>, url = URL): RawRequest => ({
  method: 'POST',
  url,
  headers: new Headers({ 'content-type': 'application/x-www-form-urlencoded', ...headers }),
  body: new TextEncoder().encode(new URLSearchParams(params).toString()),
});
const signedWith = (params: Params, key: string, url = URL) =>
  request(params, { 'x-twilio-signature': signTwilio(key, url, params) });

/** An inbound message as Twilio posts it; `extra` adds or replaces parameters. */
const inbound = (n: number, body: string, extra: Record<string, string> = {}): Params => {
  const sid = extra.MessageSid ?? SM(n);
  const base: Record<string, string> = {
    SmsMessageSid: sid,
    NumMedia: '0',
    ProfileName: 'Lena Park',
    MessageType: 'text',
    SmsSid: sid,
    WaId: USER.slice(1),
    SmsStatus: 'received',
    Body: body,
    To: `whatsapp:${SENDER}`,
    NumSegments: '1',
    ReferralNumMedia: '0',
    MessageSid: sid,
    AccountSid: ACCOUNT_SID,
    From: `whatsapp:${USER}`,
    ApiVersion: '2010-04-01',
    ...extra,
  };
  return Object.entries(base);
};
const status = (sid: string, state: string, extra: Record<string, string> = {}): Params =>
  Object.entries({
    ChannelPrefix: 'whatsapp',
    ApiVersion: '2010-04-01',
    MessageStatus: state,
    SmsSid: sid,
    SmsStatus: state,
    To: `whatsapp:${USER}`,
    From: `whatsapp:${SENDER}`,
    MessageSid: sid,
    AccountSid: ACCOUNT_SID,
    ...extra,
  });

const messages = (events: InboundEvent[]) =>
  events.filter((e): e is InboundMessageEvent => e.kind === 'message');
const statuses = (events: InboundEvent[]) =>
  events.filter((e): e is InboundStatusEvent => e.kind === 'status');

const config = {
  phone_number: SENDER,
  content_sid: `HX${'ab'.repeat(16)}`,
  content_variables: { '1': '{{contact_name}}' },
  credentials: {
    account_sid: ACCOUNT_SID,
    auth_token: AUTH_TOKEN,
    secondary_auth_token: SECONDARY,
    webhook_shared_key: SHARED_KEY,
  },
};

adapterContract({
  adapter: twilio,
  config,
  invalidConfigs: [
    { config: { ...config, phone_number: '4155550100' }, field: 'phone_number' },
    {
      config: { ...config, credentials: { ...config.credentials, account_sid: 'AC123' } },
      field: 'credentials.account_sid',
    },
    {
      config: { ...config, credentials: { ...config.credentials, auth_token: undefined } },
      field: 'credentials.auth_token',
    },
    { config: { ...config, content_sid: 'HX12' }, field: 'content_sid' },
    { config: { ...config, content_variables: { 'bad key': 'x' } }, field: 'content_variables.bad key' },
  ],
  async startFake() {
    fake = await startFakeTwilio({ sender: SENDER, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    return { apiRoots: { twilio: fake.url, 'twilio-messaging': fake.url }, stop: () => fake.close() };
  },
  signed: (payload) => signedWith(payload as Params, AUTH_TOKEN),
  forged: (payload) => {
    const params = payload as Params;
    const tampered: Params = params.map(([n, v]) => [n, n === 'Body' ? `${v}!` : v]);
    return [
      { name: 'other auth token', request: signedWith(params, 'another_token_0123456789abcdef') },
      {
        name: 'tampered body',
        request: request(tampered, { 'x-twilio-signature': signTwilio(AUTH_TOKEN, URL, params) }),
      },
      { name: 'no header', request: request(params, {}) },
      {
        name: 'signed for another URL',
        request: request(params, { 'x-twilio-signature': signTwilio(AUTH_TOKEN, `${URL}x`, params) }),
      },
      {
        name: 'auth token offered as a shared key',
        request: request(params, {
          'x-twilio-signature': signTwilio(AUTH_TOKEN, URL, params, 'sha256'),
          'x-twilio-webhooks-signature-settings': 'key=KEY1,algorithm=HMAC_SHA256',
        }),
      },
      {
        name: 'JSON body',
        request: {
          ...signedWith(params, AUTH_TOKEN),
          headers: new Headers({
            'content-type': 'application/json',
            'x-twilio-signature': signTwilio(AUTH_TOKEN, URL, params),
          }),
        },
      },
    ];
  },
  fixtures: [
    {
      name: 'inbound text',
      payload: inbound(1, 'Is my parcel shipped? ✓'),
      expect: (events) => {
        const [event] = messages(events);
        expect(events).toHaveLength(1);
        expect(event?.eventId).toBe(SM(1));
        expect(event?.text).toBe('Is my parcel shipped? ✓');
        expect(event?.sender).toMatchObject({
          platformUserId: USER.slice(1),
          chatId: USER,
          phone: USER,
          displayName: 'Lena Park',
        });
      },
    },
    {
      name: 'location',
      payload: inbound(2, '', {
        MessageType: 'location',
        Latitude: '52.52',
        Longitude: '13.405',
        Address: 'Pariser Platz',
        Label: 'Brandenburg Gate',
      }),
      expect: (events) => {
        const [event] = messages(events);
        expect(event?.text).toBe('[location: Brandenburg Gate, Pariser Platz 52.52, 13.405]');
        expect(event?.attachments?.[0]).toMatchObject({ type: 'location', extra: { latitude: 52.52 } });
      },
    },
    {
      name: 'button reply',
      payload: inbound(3, 'Yes', { MessageType: 'button', ButtonText: 'Yes', ButtonPayload: 'confirm_yes' }),
      expect: (events) => {
        const [event] = messages(events);
        expect(event?.text).toBe('confirm_yes');
        expect(event?.metadata).toMatchObject({ button_payload: 'confirm_yes' });
      },
    },
    {
      name: 'delivered status',
      payload: status(SM(10), 'delivered', { EventType: 'DELIVERED' }),
      expect: (events) => {
        expect(statuses(events)).toEqual([
          { kind: 'status', eventId: `${SM(10)}:delivered`, providerMessageId: SM(10), status: 'delivered' },
        ]);
      },
    },
    {
      name: 'failed outside the window',
      payload: status(SM(11), 'undelivered', { ErrorCode: '63016', ChannelStatusMessage: 'outside window' }),
      expect: (events) => {
        expect(statuses(events)[0]).toMatchObject({
          status: 'failed',
          outsideWindow: true,
          error: { code: '63016', message: 'outside window' },
        });
      },
    },
  ],
  unreachable: { apiRoots: { twilio: 'http://127.0.0.1:1' } },
  recipient: { platformUserId: USER.slice(1), chatId: USER },
  errorCases: [
    {
      name: '429 / 20429 with Retry-After',
      inject: () => fake.failNext({ status: 429, code: 20429, message: 'Too Many Requests', retryAfter: 7 }),
      expect: { retryable: true, code: 'rate_limited', minRetryAfterMs: 7000 },
    },
    {
      name: '500',
      inject: () => fake.failNext({ status: 500, code: 20500, message: 'Internal Server Error' }),
      expect: { retryable: true, code: 'http_500' },
    },
    {
      name: '63016 outside the window',
      inject: () => fake.failNext({ status: 400, code: 63016, message: 'outside the allowed window' }),
      expect: { retryable: false, code: 'outside_window' },
    },
    {
      name: '21211 invalid To',
      inject: () => fake.failNext({ status: 400, code: 21211, message: "Invalid 'To' Phone Number" }),
      expect: { retryable: false, code: 'invalid_recipient' },
    },
    {
      name: '21614 not a mobile number',
      inject: () =>
        fake.failNext({ status: 400, code: 21614, message: "'To' number is not a valid mobile number" }),
      expect: { retryable: false, code: 'invalid_recipient' },
    },
    {
      name: '63003 channel could not find To',
      inject: () => fake.failNext({ status: 400, code: 63003, message: 'Channel could not find To address' }),
      expect: { retryable: false, code: 'invalid_recipient' },
    },
    {
      name: '20003 authentication',
      inject: () => fake.failNext({ status: 401, code: 20003, message: 'Authenticate' }),
      expect: { retryable: false, code: 'unauthorized' },
    },
    {
      name: '21610 unsubscribed',
      inject: () =>
        fake.failNext({ status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' }),
      expect: { retryable: false, code: 'recipient_unsubscribed', blocked: true },
    },
  ],
});
