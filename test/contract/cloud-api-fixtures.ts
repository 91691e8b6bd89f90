import { expect } from 'vitest';
import type { InboundEvent, InboundMessageEvent } from '../../src/channels/types.ts';
import type { FakeCloudApi } from '../helpers/fake-cloud-api.ts';
import type { ContractSpec } from './adapter-contract.ts';

/**
 * Cloud API webhook payloads (Meta's envelope, which 360dialog relays unchanged) and provider errors shared by
 * the Meta and 360dialog contract suites. Shapes follow providers.md §3.4 and §13.
 */

export const PHONE_NUMBER_ID = '106540352242922';
export const USER = { waId: '4915112345678', userId: 'US.13491208655302741918', name: 'Lena Park' };

const metadata = { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID };
const envelope = (...values: Record<string, unknown>[]) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102290129340398',
      changes: values.map((value) => ({
        field: 'messages',
        value: { messaging_product: 'whatsapp', metadata, ...value },
      })),
    },
  ],
});
const contact = { profile: { name: USER.name }, wa_id: USER.waId };
const message = (id: string, body: Record<string, unknown>) => ({
  from: USER.waId,
  id,
  timestamp: '1767225600',
  ...body,
});
const messages = (events: InboundEvent[]) =>
  events.filter((e): e is InboundMessageEvent => e.kind === 'message');

export const cloudApiFixtures: ContractSpec['fixtures'] = [
  {
    name: 'inbound text',
    payload: envelope({
      contacts: [contact],
      messages: [message('wamid.TEXT1', { type: 'text', text: { body: 'Is my parcel shipped?' } })],
    }),
    expect: (events) =>
      expect(events).toEqual([
        expect.objectContaining({
          kind: 'message',
          eventId: 'wamid.TEXT1',
          providerMessageId: 'wamid.TEXT1',
          text: 'Is my parcel shipped?',
          sender: expect.objectContaining({
            platformUserId: USER.waId,
            chatId: USER.waId,
            displayName: USER.name,
            phone: `+${USER.waId}`,
          }),
          metadata: expect.objectContaining({
            wa_id: USER.waId,
            phone_number: `+${USER.waId}`,
            profile_name: USER.name,
          }),
        }),
      ]),
  },
  {
    name: 'image with caption, document, voice',
    payload: envelope({
      contacts: [contact],
      messages: [
        message('wamid.IMG', {
          type: 'image',
          image: {
            caption: 'damaged box',
            mime_type: 'image/jpeg',
            sha256: 'm3+Jx0yW=',
            id: '1387425312345678',
          },
        }),
        message('wamid.DOC', {
          type: 'document',
          document: { filename: 'invoice.pdf', mime_type: 'application/pdf', sha256: 'abc=', id: '555' },
        }),
        message('wamid.VOICE', {
          type: 'audio',
          audio: { mime_type: 'audio/ogg; codecs=opus', sha256: 'v=', id: '777', voice: true },
        }),
      ],
    }),
    expect: (events) => {
      const [image, doc, voice] = messages(events);
      expect(image).toMatchObject({
        text: 'damaged box',
        attachments: [
          {
            type: 'image',
            ref: '1387425312345678',
            mime_type: 'image/jpeg',
            extra: { sha256: 'm3+Jx0yW=', caption: 'damaged box' },
          },
        ],
      });
      expect(doc).toMatchObject({
        text: '[document: invoice.pdf]',
        attachments: [{ type: 'document', ref: '555', name: 'invoice.pdf' }],
      });
      expect(voice).toMatchObject({ text: '[voice message]', attachments: [{ type: 'voice', ref: '777' }] });
    },
  },
  {
    name: 'statuses in bulk, a failed one outside the window',
    payload: envelope(
      {
        statuses: [
          { id: 'wamid.OUT1', status: 'sent', timestamp: '1767225700', recipient_id: USER.waId },
          { id: 'wamid.OUT1', status: 'delivered', timestamp: '1767225701', recipient_id: USER.waId },
        ],
      },
      {
        statuses: [
          {
            id: 'wamid.OUT2',
            status: 'failed',
            timestamp: '1767225702',
            recipient_id: USER.waId,
            errors: [
              {
                code: 131047,
                title: 'Re-engagement message',
                error_data: { details: 'More than 24 hours have passed' },
              },
            ],
          },
        ],
      },
    ),
    expect: (events) =>
      expect(events).toEqual([
        expect.objectContaining({ kind: 'status', eventId: 'wamid.OUT1:sent', status: 'sent' }),
        expect.objectContaining({ kind: 'status', eventId: 'wamid.OUT1:delivered', status: 'delivered' }),
        expect.objectContaining({
          kind: 'status',
          providerMessageId: 'wamid.OUT2',
          status: 'failed',
          outsideWindow: true,
          error: { code: '131047', message: 'More than 24 hours have passed' },
        }),
      ]),
  },
  {
    name: 'username-only user (no phone, no from)',
    payload: envelope({
      contacts: [{ profile: { name: 'Kim', username: 'kim.dev' }, user_id: 'US.99887766554433221100' }],
      messages: [
        {
          from_user_id: 'US.99887766554433221100',
          id: 'wamid.BSUID',
          timestamp: '1767225600',
          type: 'text',
          text: { body: 'hi' },
        },
      ],
    }),
    expect: (events) =>
      expect(events).toEqual([
        expect.objectContaining({
          text: 'hi',
          sender: {
            platformUserId: 'US.99887766554433221100',
            chatId: 'US.99887766554433221100',
            displayName: 'Kim',
            username: 'kim.dev',
          },
          metadata: expect.objectContaining({ user_id: 'US.99887766554433221100' }),
        }),
      ]),
  },
  {
    name: 'button reply, list reply, reaction and a number change',
    payload: envelope({
      contacts: [contact],
      messages: [
        message('wamid.BTN', {
          type: 'interactive',
          interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes please' } },
          context: { from: '15550783881', id: 'wamid.Q' },
        }),
        message('wamid.LIST', {
          type: 'interactive',
          interactive: { type: 'list_reply', list_reply: { id: 'opt_4', title: 'Fourth' } },
        }),
        message('wamid.REACT', { type: 'reaction', reaction: { message_id: 'wamid.OUT1', emoji: '👍' } }),
        {
          from: USER.waId,
          id: 'wamid.SYS',
          timestamp: '1767225600',
          type: 'system',
          system: { body: 'changed', wa_id: '4915199999999', type: 'user_changed_number' },
        },
      ],
    }),
    expect: (events) => {
      expect(events.map((e) => (e.kind === 'message' ? e.text : e.kind))).toEqual([
        'yes',
        'opt_4',
        '[reaction 👍]',
        'identity_changed',
      ]);
      expect(events[0]).toMatchObject({ metadata: { reply_to: 'wamid.Q' } });
      expect(events[3]).toMatchObject({
        previousPlatformUserIds: [USER.waId],
        sender: { platformUserId: '4915199999999', phone: '+4915199999999' },
      });
    },
  },
];

/** Provider errors injected on the next send and the DeliveryError each must become. */
export function cloudApiErrorCases(fake: () => FakeCloudApi): ContractSpec['errorCases'] {
  const fail = (status: number, code: number, title: string) => () =>
    fake().failNext({ status, code, title });
  return [
    {
      name: '130429 throughput',
      inject: fail(429, 130429, 'Rate limit hit'),
      expect: { retryable: true, code: 'rate_limited', minRetryAfterMs: 1000 },
    },
    {
      name: '131056 pair rate',
      inject: fail(400, 131056, 'Pair rate limit hit'),
      expect: { retryable: true, code: 'pair_rate_limited', minRetryAfterMs: 6000 },
    },
    {
      name: '80007 WABA rate',
      inject: fail(400, 80007, 'Rate limit issues'),
      expect: { retryable: true, code: 'rate_limited' },
    },
    {
      name: '4 app call rate',
      inject: fail(400, 4, 'Too many calls'),
      expect: { retryable: true, code: 'rate_limited' },
    },
    {
      name: '2 service unavailable',
      inject: fail(503, 2, 'Service temporarily unavailable'),
      expect: { retryable: true },
    },
    {
      name: '1 unknown error',
      inject: fail(500, 1, 'An unknown error occurred'),
      expect: { retryable: true, code: 'provider_error' },
    },
    {
      name: '613 call rate, as a 400',
      inject: fail(400, 613, 'Calls to this api have exceeded the rate limit.'),
      expect: { retryable: true, code: 'rate_limited' },
    },
    {
      name: '502 HTML page from a proxy',
      inject: () =>
        fake().failNext({
          status: 502,
          code: 0,
          title: '',
          raw: { body: '<html><body>502 Bad Gateway</body></html>', contentType: 'text/html' },
        }),
      expect: { retryable: true, code: 'http_502' },
    },
    {
      name: '132015 template paused',
      inject: fail(400, 132015, 'Template is paused'),
      expect: { retryable: false, code: 'template_error' },
    },
    {
      name: '10 permission denied',
      inject: fail(403, 10, 'Permission denied'),
      expect: { retryable: false, code: 'permission_denied' },
    },
    {
      name: '131047 synchronously',
      inject: fail(400, 131047, 'Re-engagement message'),
      expect: { retryable: false, code: 'outside_window' },
    },
    {
      name: '131026 undeliverable',
      inject: fail(400, 131026, 'Message undeliverable'),
      expect: { retryable: false, code: 'undeliverable' },
    },
    {
      name: '131051 unsupported type',
      inject: fail(400, 131051, 'Unsupported message type'),
      expect: { retryable: false, code: 'unsupported_message_type' },
    },
    {
      name: '100 invalid parameter',
      inject: fail(400, 100, 'Invalid parameter'),
      expect: { retryable: false, code: 'invalid_parameter' },
    },
    {
      name: '131062 user id not supported',
      inject: fail(400, 131062, 'BSUID recipient not supported'),
      expect: { retryable: false, code: 'user_id_not_supported' },
    },
    {
      name: '190 expired token',
      inject: fail(401, 190, 'Error validating access token'),
      expect: { retryable: false, code: 'unauthorized' },
    },
  ];
}
