import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readSesEvent } from '../../src/channels/ses/events.ts';
import { readReceipt } from '../../src/channels/ses/receipt.ts';
import {
  clearSnsCertCache,
  confirmSubscription,
  parseSnsMessage,
  trustedSnsUrl,
  verifySnsMessage,
  type SnsDeps,
} from '../../src/channels/ses/sns.ts';
import { FakeSns } from '../helpers/fake-sns.ts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ses-inbound';
let sns: FakeSns;
let deps: SnsDeps;

beforeAll(async () => {
  sns = await new FakeSns().start();
  deps = { fetch: sns.fetch, now: () => Date.now(), trustedHosts: ['127.0.0.1:*'] };
}, 60_000);
afterAll(() => sns?.close());
beforeEach(() => clearSnsCertCache());

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('SNS signature verification', () => {
  it('accepts SignatureVersion 1 (SHA1) and 2 (SHA256), fetching the certificate once', async () => {
    const before = sns.certFetches;
    for (const version of ['1', '2'] as const) {
      const message = sns.message(
        { Type: 'Notification', TopicArn: TOPIC, Message: 'hello', Subject: 'S' },
        { version },
      );
      expect(await verifySnsMessage(message, deps)).toEqual({ ok: true });
    }
    expect(sns.certFetches - before).toBe(1);
  });

  it('refuses a tampered message, a foreign key, an old timestamp and an untrusted certificate URL', async () => {
    const good = sns.message({ Type: 'Notification', TopicArn: TOPIC, Message: 'hello' }, { version: '2' });
    expect((await verifySnsMessage({ ...good, Message: 'hellO' }, deps)).ok).toBe(false);
    expect((await verifySnsMessage({ ...good, TopicArn: `${TOPIC}x` }, deps)).ok).toBe(false);
    const rogue = sns.message({ Type: 'Notification', TopicArn: TOPIC, Message: 'hello' }, { rogue: true });
    expect((await verifySnsMessage(rogue, deps)).ok).toBe(false);
    const old = sns.message(
      { Type: 'Notification', TopicArn: TOPIC, Message: 'hello' },
      { timestamp: new Date(Date.now() - 3 * 3_600_000) },
    );
    expect(await verifySnsMessage(old, deps)).toEqual({
      ok: false,
      reason: expect.stringMatching(/Timestamp/),
    });
    const fetches = sns.certFetches;
    for (const certUrl of [
      `${sns.untrustedOrigin}${sns.certPath}`,
      `http://127.0.0.1:${sns.port}${sns.certPath}`,
      `${sns.origin}/cert.txt`,
    ]) {
      const message = sns.message({ Type: 'Notification', TopicArn: TOPIC, Message: 'hello' }, { certUrl });
      expect(await verifySnsMessage(message, deps), certUrl).toEqual({
        ok: false,
        reason: expect.stringMatching(/SigningCertURL/),
      });
    }
    expect(sns.certFetches, 'nothing is fetched from an untrusted URL').toBe(fetches);
  });

  it('trusts only sns.<region>.amazonaws.com(.cn) by default', () => {
    expect(
      trustedSnsUrl('https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem'),
    ).toBeDefined();
    expect(trustedSnsUrl('https://sns.cn-north-1.amazonaws.com.cn/x.pem')).toBeDefined();
    for (const bad of [
      'http://sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com.evil.example/x.pem',
      'https://evil.example/sns.us-east-1.amazonaws.com/x.pem',
      'https://x.sns.us-east-1.amazonaws.com/x.pem',
      'https://user:pw@sns.us-east-1.amazonaws.com/x.pem',
      'https://sns.us-east-1.amazonaws.com:8443/x.pem',
      'not a url',
    ]) {
      expect(trustedSnsUrl(bad), bad).toBeUndefined();
    }
  });

  it('signs confirmations with the subscription key set, confirms once by URL and never visits an unsubscribe', async () => {
    const confirmation = sns.message({
      Type: 'SubscriptionConfirmation',
      TopicArn: TOPIC,
      Message: 'confirm',
    });
    expect(await verifySnsMessage(confirmation, deps)).toEqual({ ok: true });
    const count = sns.confirmations.length;
    expect(await confirmSubscription(confirmation, deps)).toBe(true);
    expect(sns.confirmations.slice(count)).toEqual([{ topicArn: TOPIC, token: confirmation.Token }]);
    const unsubscribe = sns.message({ Type: 'UnsubscribeConfirmation', TopicArn: TOPIC, Message: 'bye' });
    expect(await verifySnsMessage(unsubscribe, deps)).toEqual({ ok: true });
    expect(await confirmSubscription(unsubscribe, deps)).toBe(false);
    const foreign = { ...confirmation, SubscribeURL: `${sns.untrustedOrigin}/?Action=ConfirmSubscription` };
    expect(await confirmSubscription(foreign, deps)).toBe(false);
    expect(sns.confirmations.length).toBe(count + 1);
  });

  it('parses SNS bodies, normalising the Lambda key spellings, and refuses anything else', () => {
    const message = sns.message({ Type: 'Notification', TopicArn: TOPIC, Message: 'm' });
    const { SigningCertURL, UnsubscribeURL, ...rest } = message;
    expect(
      parseSnsMessage(encode({ ...rest, SigningCertUrl: SigningCertURL, UnsubscribeUrl: UnsubscribeURL })),
    ).toEqual(message);
    expect(parseSnsMessage(encode({ ...message, Type: 'Other' }))).toBeUndefined();
    expect(parseSnsMessage(encode({ ...message, SignatureVersion: '3' }))).toBeUndefined();
    expect(parseSnsMessage(new TextEncoder().encode('{not json'))).toBeUndefined();
  });
});

const MAIL = 'From: Ana <ana@customer.example>\r\nTo: support@shop.example\r\nSubject: Olá\r\n\r\nÉ isso\r\n';
const receipt = (content: string | undefined, encoding: string, action = 'SNS') =>
  JSON.stringify({
    notificationType: 'Received',
    mail: { messageId: 'o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1', source: 'ana@customer.example' },
    receipt: {
      recipients: ['support@shop.example'],
      spfVerdict: { status: 'PASS' },
      dkimVerdict: { status: 'GRAY' },
      dmarcVerdict: { status: 'FAIL' },
      dmarcPolicy: 'REJECT',
      spamVerdict: { status: 'PASS' },
      virusVerdict: { status: 'PASS' },
      action: { type: action, topicArn: TOPIC, encoding },
    },
    ...(content === undefined ? {} : { content }),
  });

describe('SES receipt notifications', () => {
  it('reads the raw mail in UTF8 and BASE64 encoding, with SES verdicts', () => {
    for (const [content, encoding] of [
      [MAIL, 'UTF8'],
      [Buffer.from(MAIL).toString('base64'), 'BASE64'],
      [Buffer.from(MAIL).toString('base64'), 'base64'],
    ] as const) {
      const outcome = readReceipt(receipt(content, encoding));
      expect(outcome.kind, encoding).toBe('mail');
      if (outcome.kind !== 'mail') continue;
      expect(outcome.mail.raw.toString('utf8')).toBe(MAIL);
      expect(outcome.mail.verdicts).toEqual({
        spf: 'pass',
        dkim: 'gray',
        dmarc: 'fail',
        dmarc_policy: 'reject',
        spam: 'pass',
        virus: 'pass',
      });
    }
  });

  it('refuses a notification without content (S3 action) and ignores non-receipt messages', () => {
    expect(readReceipt(receipt(undefined, 'UTF8', 'S3'))).toEqual({
      kind: 'invalid',
      reason: expect.stringMatching(/no content.*S3/),
    });
    expect(readReceipt(JSON.stringify({ eventType: 'Delivery' }))).toEqual({ kind: 'other' });
    expect(readReceipt('not json')).toEqual({ kind: 'other' });
  });
});

const event = (type: Record<string, unknown>, tags: Record<string, string[]> | undefined, headers = []) =>
  JSON.stringify({
    ...type,
    mail: {
      timestamp: '2026-11-29T10:00:00.000Z',
      messageId: '0100018cabcdef-1234-000000',
      destination: ['ana@customer.example'],
      ...(tags ? { tags } : {}),
      headers,
    },
  });
const TAGS = { switchboard_message_id: ['msg_01jses'], 'ses:configuration-set': ['switchboard'] };

describe('SES sending events', () => {
  it('maps Delivery, permanent and transient Bounce, and Complaint, by our id', () => {
    expect(
      readSesEvent(
        event({ eventType: 'Delivery', delivery: { timestamp: '2026-11-29T10:00:02.000Z' } }, TAGS),
      ),
    ).toEqual({
      kind: 'event',
      event: expect.objectContaining({
        type: 'delivery',
        ourMessageId: 'msg_01jses',
        sesMessageId: '0100018cabcdef-1234-000000',
        status: 'delivered',
        blockAddresses: [],
        at: '2026-11-29T10:00:02.000Z',
      }),
    });
    const bounce = (bounceType: string) => ({
      eventType: 'Bounce',
      bounce: {
        bounceType,
        bounceSubType: 'General',
        bouncedRecipients: [
          {
            emailAddress: 'Ana@Customer.example',
            status: '5.1.1',
            diagnosticCode: 'smtp; 550 5.1.1 user unknown',
          },
        ],
        timestamp: '2026-11-29T10:00:03.000Z',
        feedbackId: 'fb-1',
      },
    });
    expect(readSesEvent(event(bounce('Permanent'), TAGS))).toEqual({
      kind: 'event',
      event: expect.objectContaining({
        status: 'blocked',
        blockAddresses: ['ana@customer.example'],
        error: { code: '5.1.1', message: 'smtp; 550 5.1.1 user unknown' },
      }),
    });
    expect(readSesEvent(event(bounce('Transient'), TAGS))).toEqual({
      kind: 'event',
      event: expect.objectContaining({ status: 'failed', blockAddresses: [] }),
    });
    const complaint = {
      notificationType: 'Complaint',
      complaint: { complainedRecipients: [{ emailAddress: 'ana@customer.example' }], feedbackId: 'fb-2' },
    };
    const headers = [{ name: 'X-Switchboard-Message-Id', value: 'msg_01jheader' }];
    const outcome = readSesEvent(event(complaint, undefined, headers as never));
    expect(outcome).toEqual({
      kind: 'event',
      event: expect.objectContaining({
        type: 'complaint',
        ourMessageId: 'msg_01jheader',
        blockAddresses: ['ana@customer.example'],
      }),
    });
    expect(outcome.kind === 'event' && outcome.event.status).toBeFalsy();
  });

  it('reads an event whose mail headers run long (a 30-id References chain, a DKIM signature)', () => {
    const references = Array.from({ length: 30 }, (_, i) => `<CAF=${'x'.repeat(60)}-${i}@mail.gmail.com>`);
    const headers = [
      { name: 'References', value: references.join(' ') },
      { name: 'DKIM-Signature', value: `v=1; a=rsa-sha256; b=${'A'.repeat(2500)}` },
      { name: 'X-Switchboard-Message-Id', value: 'msg_01jheader' },
    ];
    const delivery = {
      eventType: 'Delivery',
      delivery: { timestamp: '2026-11-29T10:00:02.000Z', smtpResponse: `250 ${'ok '.repeat(1000)}` },
    };
    const outcome = readSesEvent(event(delivery, undefined, headers as never));
    expect(outcome).toEqual({
      kind: 'event',
      event: expect.objectContaining({ ourMessageId: 'msg_01jheader', status: 'delivered' }),
    });
    const bounce = {
      eventType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [
          { emailAddress: 'ana@customer.example', diagnosticCode: `smtp; 550 ${'y'.repeat(3000)}` },
        ],
        feedbackId: 'fb-long',
      },
    };
    const bounced = readSesEvent(event(bounce, TAGS));
    expect(bounced.kind === 'event' && bounced.event.error?.message.length).toBe(500);
  });

  it('fails the message on a Reject (virus: SES never tried to deliver), blocking nobody', () => {
    expect(readSesEvent(event({ eventType: 'Reject', reject: { reason: 'Bad content' } }, TAGS))).toEqual({
      kind: 'event',
      event: {
        type: 'reject',
        ourMessageId: 'msg_01jses',
        sesMessageId: '0100018cabcdef-1234-000000',
        status: 'failed',
        blockAddresses: [],
        error: { code: 'ses_reject', message: 'Bad content' },
        eventKey: 'ses:0100018cabcdef-1234-000000:reject',
      },
    });
  });

  it('leaves out a timestamp that is no time, so it never reaches the database', () => {
    const outcome = readSesEvent(event({ eventType: 'Delivery', delivery: { timestamp: 'soon' } }, TAGS));
    expect(outcome).toEqual({ kind: 'event', event: expect.objectContaining({ status: 'delivered' }) });
    expect(outcome.kind === 'event' && 'at' in outcome.event).toBe(false);
  });

  it('ignores events without our id and event types it does not act on; refuses malformed ones', () => {
    expect(readSesEvent(event({ eventType: 'Delivery', delivery: {} }, undefined)).kind).toBe('ignored');
    expect(readSesEvent(event({ eventType: 'Open', open: {} }, TAGS)).kind).toBe('ignored');
    expect(readSesEvent(event({ eventType: 'Bounce' }, TAGS)).kind).toBe('invalid');
    expect(readSesEvent(JSON.stringify({ eventType: 'Delivery' })).kind).toBe('invalid');
    expect(readSesEvent('nope').kind).toBe('invalid');
  });
});
