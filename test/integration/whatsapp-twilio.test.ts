import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTwilio } from '../helpers/fake-twilio.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { secret } from '../helpers/secrets.ts';
import { OVERRIDES, SENDER, TwilioHarness } from '../helpers/twilio-app.ts';

/**
 * WhatsApp over Twilio end to end: the real app, engine and database; the fake Twilio on 127.0.0.1 both ways
 * (signed form webhooks in, Messages.json out); PUBLIC_URL is a public name, as behind a proxy.
 */
const tw = new TwilioHarness();
let nextUser = 4915112000000;
const newUser = () => `+${++nextUser}`;
const inboundCount = async () =>
  (await tw.app.database.query<{ n: number }>('select count(*)::int as n from inbound_events'))[0]?.n;

beforeAll(async () => {
  await tw.start();
  await tw.configure();
});
afterAll(() => tw.close());

describe('Twilio WhatsApp end to end', () => {
  it('the spec configuration: signed inbound → reply to whatsapp:+… → statuses sent, delivered, read move it', async () => {
    const channels = await tw.app.call('GET', tw.channelsPath, { token: tw.ws.owner.token });
    expect(channels.status, channels.text).toBe(200);
    expect(JSON.stringify(channels.body)).not.toContain(tw.fake.authToken);

    tw.reply = () => 'Your parcel **ships today**.';
    const user = newUser();
    const raw = await fetch(tw.fake.deliverTo(tw.hookUrl.split('#')[0] as string), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilio(
          tw.fake.authToken,
          tw.hookUrl.split('#')[0] as string,
          tw.fake.inboundParams(user, 'Is my parcel shipped?', { MessageSid: `SM${'c'.repeat(32)}` }),
        ),
      },
      body: new URLSearchParams(
        tw.fake.inboundParams(user, 'Is my parcel shipped?', { MessageSid: `SM${'c'.repeat(32)}` }),
      ).toString(),
    });
    // Twilio gets empty TwiML: no auto-reply.
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toContain('text/xml');
    expect(await raw.text()).toContain('<Response/>');

    const sent = await eventually(() => tw.sentTo(user)[0]);
    expect(sent.to).toBe(`whatsapp:${user}`);
    expect(sent.from).toBe(`whatsapp:${SENDER}`);
    expect(sent.body).toBe('Your parcel *ships today*.');
    expect(sent.statusCallback).toBe(
      `${tw.publicUrl}/api/v1/channels/webhooks/whatsapp/${tw.ws.agentId}/status${OVERRIDES}`,
    );
    // "typing…" for the message being answered, before the reply.
    const typing = tw.fake.typing.find((t) => t.messageId === `SM${'c'.repeat(32)}`);
    expect(typing && typing.at <= sent.at).toBe(true);

    const row = await eventually(async () => {
      const rows = await tw.outbound(user);
      return rows[0]?.status === 'sent' ? rows[0] : undefined;
    });
    expect(row.provider_message_id).toBe(sent.sid);
    for (const status of ['sent', 'delivered', 'read'] as const) {
      expect(await tw.fake.emitStatus(sent.sid, status)).toBe(200);
      await eventually(async () => ((await tw.outbound(user))[0]?.status === status ? true : undefined));
    }
    // A late callback never moves it back.
    expect(await tw.fake.emitStatus(sent.sid, 'delivered')).toBe(200);
    const final = (await tw.outbound(user))[0];
    expect(final?.status).toBe('read');
    expect(final?.read_at).not.toBeNull();

    const conversation = await tw.app.call(
      'GET',
      `${tw.base}/conversations?user_identifier=whatsapp:${user.slice(1)}`,
      {
        token: tw.ws.owner.token,
      },
    );
    expect(conversation.body.data[0]?.channel_metadata).toMatchObject({
      chat_id: user,
      wa_id: user.slice(1),
      phone_number: user,
      profile_name: 'Lena',
    });
  });

  it('a failed status carries Twilio’s code and ChannelStatusMessage; EventType=READ on the main URL marks read', async () => {
    const user = newUser();
    await tw.text(user, 'hello');
    const first = await eventually(() => tw.sentTo(user)[0]);
    await eventually(async () => ((await tw.outbound(user))[0]?.status === 'sent' ? true : undefined));
    expect(
      await tw.fake.emitStatus(first.sid, 'undelivered', {
        ErrorCode: '63024',
        ChannelStatusMessage: 'Invalid message recipient',
      }),
    ).toBe(200);
    const failed = await eventually(async () => {
      const rows = await tw.outbound(user);
      return rows[0]?.status === 'failed' ? rows[0] : undefined;
    });
    expect(failed).toMatchObject({ error_code: '63024', error_message: 'Invalid message recipient' });

    await tw.text(user, 'again');
    const second = await eventually(() => tw.sentTo(user)[1]);
    await eventually(async () => ((await tw.outbound(user))[1]?.status === 'sent' ? true : undefined));
    // Status callback sent to the inbound URL (a Messaging Service configured with it) works the same.
    const params = tw.fake.statusParams(second.sid, 'sent', { EventType: 'READ' });
    expect(await tw.fake.emit(tw.hookUrl, params)).toBe(200);
    await eventually(async () => ((await tw.outbound(user))[1]?.status === 'read' ? true : undefined));
  });

  it('an inbound body with MessageStatus=received is answered; a callback with only SmsStatus moves the status', async () => {
    const user = newUser();
    const inbound = await tw.text(user, 'status in the body', undefined, { MessageStatus: 'received' });
    const [stored] = await tw.app.database.query<{ content: string }>(
      `select content from messages where id = $1`,
      [inbound.id],
    );
    expect(stored?.content).toBe('status in the body');
    const sent = await eventually(() => tw.sentTo(user)[0]);
    await eventually(async () => ((await tw.outbound(user))[0]?.status === 'sent' ? true : undefined));
    // An older-style callback: SmsStatus only, no MessageStatus or EventType.
    const params = tw.fake
      .statusParams(sent.sid, 'delivered')
      .filter(([name]) => name !== 'MessageStatus' && name !== 'EventType');
    expect(await tw.fake.emit(sent.statusCallback as string, params)).toBe(200);
    await eventually(async () => ((await tw.outbound(user))[0]?.status === 'delivered' ? true : undefined));
    // A callback of a shape not recognised (no state at all) is not a message from our own number either.
    const other = `SM${'d'.repeat(32)}`;
    const stateless = params
      .filter(([name]) => name !== 'SmsStatus')
      .map(([name, value]): [string, string] => [
        name,
        name.endsWith('Sid') && value === sent.sid ? other : value,
      ]);
    expect(await tw.fake.emit(sent.statusCallback as string, stateless)).toBe(200);
    const recorded = `select 1 from inbound_events where provider_event_id = $1`;
    expect(await tw.app.database.query(recorded, [other])).toHaveLength(0);
    // Neither was taken for a message from our own sender number.
    const own = await tw.app.database.query(`select 1 from messages where provider_message_id = $1`, [
      sent.sid,
    ]);
    expect(own).toHaveLength(1);
    expect(tw.sentTo(SENDER)).toEqual([]);
  });

  it('answers 401 to forged, missing, wrong-URL and wrong-token signatures and stores nothing', async () => {
    const before = await inboundCount();
    const user = newUser();
    const params = tw.fake.inboundParams(user, 'let me in');
    const publicUrl = tw.hookUrl.split('#')[0] as string;
    const local = tw.fake.deliverTo(publicUrl);
    const attempts = [
      { signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' },
      { signature: null },
      // What a server that trusted its own Host header would compute: the internal URL.
      { signedUrl: local },
      { key: 'another_accounts_token_0123456' },
      { key: tw.fake.authToken, algorithm: 'sha256' as const },
    ];
    for (const options of attempts) {
      expect(await tw.fake.emit(publicUrl, params, options), JSON.stringify(options)).toBe(401);
    }
    const json = await fetch(local, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-twilio-signature': signTwilio(tw.fake.authToken, publicUrl, []),
      },
      body: JSON.stringify(Object.fromEntries(params)),
    });
    expect(json.status).toBe(401);
    expect(await inboundCount()).toBe(before);
    expect(tw.sentTo(user)).toEqual([]);
  });

  it('a 503 during a database outage: lost without the connection overrides, retried and stored with them', async () => {
    const outage = (on: boolean) =>
      tw.app.database.query(
        on
          ? 'alter table inbound_events rename to inbound_events_outage'
          : 'alter table inbound_events_outage rename to inbound_events',
      );
    const plain = tw.hookUrl.split('#')[0] as string;
    const lost = tw.fake.inboundParams(newUser(), 'during the outage');
    await outage(true);
    try {
      // Twilio's default: one retry, on connection failure only; a 503 is final.
      expect(await tw.fake.emit(plain, lost)).toBe(503);
    } finally {
      await outage(false);
    }
    expect(tw.fake.deliveries.at(-1)?.attempt).toBe(1);

    const user = newUser();
    await outage(true);
    let restored = false;
    try {
      const params = tw.fake.inboundParams(user, 'kept through the outage');
      const status = await tw.fake.emit(tw.hookUrl, params, {
        beforeRetry: async () => {
          if (!restored) await outage(false);
          restored = true;
        },
      });
      expect(status).toBe(200);
      expect(tw.fake.deliveries.at(-1)?.attempt).toBe(2);
    } finally {
      if (!restored) await outage(false);
    }
    await eventually(() => tw.sentTo(user)[0]);
  });

  it('records a redelivery once and replies once', async () => {
    const user = newUser();
    const params = tw.fake.inboundParams(user, 'once please');
    expect(await tw.fake.emit(tw.hookUrl, params)).toBe(200);
    expect(await tw.fake.emit(tw.hookUrl, params)).toBe(200);
    await eventually(() => tw.sentTo(user)[0]);
    await eventually(async () => ((await tw.outbound(user))[0]?.status === 'sent' ? true : undefined));
    expect(tw.sentTo(user)).toHaveLength(1);
    const stored = await tw.app.database.query(`select 1 from messages where provider_message_id = $1`, [
      params.find(([n]) => n === 'MessageSid')?.[1],
    ]);
    expect(stored).toHaveLength(1);
  });

  it('accepts the secondary auth token during a rotation and a shared-key HMAC-SHA256 signature', async () => {
    const secondary = secret('secondary_token_0a1b2c3d4e5f6789');
    const shared = secret('shared_key_secret_0a1b2c3d4e5f6789');
    await tw.configure({
      webhook_shared_key_id: 'KS123',
      credentials: { secondary_auth_token: secondary, webhook_shared_key: shared },
    });
    try {
      const user = newUser();
      await tw.fake.emit(tw.hookUrl, tw.fake.inboundParams(user, 'via secondary'), { key: secondary });
      await eventually(() => tw.sentTo(user)[0]);
      const other = newUser();
      const settings = { 'x-twilio-webhooks-signature-settings': 'key=KS123,algorithm=HMAC_SHA256' };
      expect(
        await tw.fake.emit(tw.hookUrl, tw.fake.inboundParams(other, 'via shared key'), {
          key: shared,
          algorithm: 'sha256',
          headers: settings,
        }),
      ).toBe(200);
      await eventually(() => tw.sentTo(other)[0]);
      // The announced key id must be the configured one.
      expect(
        await tw.fake.emit(tw.hookUrl, tw.fake.inboundParams(newUser(), 'x'), {
          key: shared,
          algorithm: 'sha256',
          headers: { 'x-twilio-webhooks-signature-settings': 'key=KS999,algorithm=HMAC_SHA256' },
        }),
      ).toBe(401);
    } finally {
      await tw.configure({
        webhook_shared_key_id: null,
        credentials: { secondary_auth_token: null, webhook_shared_key: null },
      });
    }
  });

  it('splits a long reply at 1600 characters and sends quick replies as numbered text', async () => {
    const user = newUser();
    const paragraph = `${'word '.repeat(150).trim()}.`;
    tw.reply = () => [paragraph, paragraph, paragraph].join('\n\n');
    tw.buttons = [
      { label: 'Track parcel', value: 'track' },
      { label: 'Talk to a human', value: 'human' },
    ];
    try {
      await tw.text(user, 'long answer please');
      const sent = await eventually(() => {
        const all = tw.sentTo(user);
        return all.length >= 2 && all.at(-1)?.body?.includes('2. Talk to a human') ? all : undefined;
      });
      for (const message of sent) expect([...(message.body ?? '')].length).toBeLessThanOrEqual(1600);
      expect(sent.map((m) => m.body).join('\n\n')).toContain(paragraph);
      expect(sent.at(-1)?.body).toMatch(/1\. Track parcel\n2\. Talk to a human$/);
    } finally {
      tw.reply = (input) => `re: ${input.pending.map((m) => m.content).join(' | ')}`;
      tw.buttons = undefined;
    }
  });

  it('sends 1–3 quick replies through the configured quick-reply content template', async () => {
    const quickReply = `HX${'fe'.repeat(16)}`;
    await tw.configure({ quick_reply_content_sid: quickReply });
    tw.buttons = [
      { label: 'Yes', value: 'yes' },
      { label: 'No', value: 'no' },
    ];
    try {
      const user = newUser();
      await tw.text(user, 'shall we?');
      const sent = await eventually(() => tw.sentTo(user)[0]);
      expect(sent).toMatchObject({
        contentSid: quickReply,
        contentVariables: { '1': 're: shall we?', '2': 'Yes', '3': 'No' },
      });
      expect(sent.body).toBeUndefined();
    } finally {
      tw.buttons = undefined;
      await tw.configure({ quick_reply_content_sid: null });
    }
  });
});

describe('Twilio management routes', () => {
  it('test: reaches the account and finds the number among its WhatsApp senders', async () => {
    const res = await tw.app.call('POST', `${tw.channelsPath}/whatsapp/test`, { token: tw.ws.owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      message: 'WhatsApp connection test successful',
      details: {
        account_sid: tw.fake.accountSid,
        phone_number: SENDER,
        whatsapp_sender: true,
        account_status: 'active',
      },
    });
    expect(tw.fake.calls.some((c) => c.path === '/v2/Channels/Senders' && c.status === 200)).toBe(true);
  });

  it('test: reports a number that is not a sender, and 20003 for a wrong token', async () => {
    tw.fake.sender = '+14155550199';
    try {
      const res = await tw.app.call('POST', `${tw.channelsPath}/whatsapp/test`, { token: tw.ws.owner.token });
      expect(res.body).toMatchObject({
        success: false,
        details: `${SENDER} is not a WhatsApp sender on this Twilio account`,
      });
    } finally {
      tw.fake.sender = SENDER;
    }
    const real = tw.fake.authToken;
    tw.fake.authToken = 'rotated_elsewhere_0123456789abcd';
    try {
      const res = await tw.app.call('POST', `${tw.channelsPath}/whatsapp/test`, { token: tw.ws.owner.token });
      expect(res.body).toMatchObject({ success: false, error: 'Failed to connect to Twilio' });
      expect(res.body.details).toContain('20003');
      expect(res.text).not.toContain(real);
    } finally {
      tw.fake.authToken = real;
    }
  });

  it('webhook/info: the URLs to paste, with the connection-override fragment', async () => {
    const res = await tw.app.call('GET', `${tw.channelsPath}/whatsapp/webhook/info`, {
      token: tw.ws.owner.token,
    });
    expect(res.status, res.text).toBe(200);
    const hook = `${tw.publicUrl}/api/v1/channels/webhooks/whatsapp/${tw.ws.agentId}`;
    expect(res.body.webhook_info).toMatchObject({
      url: `${hook}${OVERRIDES}`,
      fallback_url: `${hook}${OVERRIDES}`,
      status_callback_url: `${hook}/status${OVERRIDES}`,
      method: 'POST',
    });
    expect(res.body.webhook_info.instructions).toContain('fallback URL');
  });
});
