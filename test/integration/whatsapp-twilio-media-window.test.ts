import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/loopback-peer.ts';
import { TwilioHarness } from '../helpers/twilio-app.ts';

/**
 * Twilio media through the attachment proxy (Basic auth only to the REST host, never to the CDN or anywhere
 * else) and the 24-hour window with a content template, end to end against the fake Twilio.
 */
const HOURS = 3_600_000;
const CONTENT_SID = `HX${'0123456789abcdef'.repeat(2)}`;
const tw = new TwilioHarness();
/** A listener that records every Authorization header it is sent (it must never see one). */
let listener: Server;
let listenerUrl = '';
const seen: { path: string; authorization?: string }[] = [];
let nextUser = 4915113000000;
const newUser = () => `+${++nextUser}`;

const attachmentRoute = (conversationId: string, messageId: string, index: number) =>
  `${tw.base}/conversations/${conversationId}/messages/${messageId}/attachments/${index}`;

beforeAll(async () => {
  listener = createServer((req, res) => {
    seen.push({
      path: req.url ?? '',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    res.writeHead(200, { 'content-type': 'image/png' }).end('stolen');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  await tw.start();
  await tw.configure({
    content_sid: CONTENT_SID,
    content_variables: { '1': '{{contact_name}}', '2': 'your order' },
  });
});
afterAll(async () => {
  await tw.close();
  await new Promise<void>((resolve) => listener.close(() => resolve()));
});

describe('Twilio inbound media', () => {
  it('records the media and streams it through the proxy: Basic auth to Twilio, none to the CDN it redirects to', async () => {
    const bytes = randomBytes(6000);
    const mediaUrl = tw.fake.addMedia(bytes, 'image/jpeg');
    const user = newUser();
    const { id, conversationId } = await tw.inbound(
      tw.fake.inboundParams(user, 'damaged box', {
        NumMedia: '1',
        MediaUrl0: mediaUrl,
        MediaContentType0: 'image/jpeg',
      }),
    );
    const [row] = await tw.app.database.query<{ content: string; attachments: any[] }>(
      'select content, attachments from messages where id = $1',
      [id],
    );
    expect(row?.content).toBe('damaged box');
    expect(row?.attachments).toEqual([{ type: 'image', ref: mediaUrl, mime_type: 'image/jpeg' }]);

    const res = await fetch(tw.app.url + attachmentRoute(conversationId, id, 0), {
      headers: { authorization: `Bearer ${tw.ws.owner.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    const mediaCall = tw.fake.calls.find((c) => mediaUrl.endsWith(c.path));
    expect(mediaCall?.status).toBe(307);
    expect(mediaCall?.authorization).toMatch(/^Basic /);
    expect(tw.fake.cdnRequests.length).toBeGreaterThan(0);
    for (const request of tw.fake.cdnRequests) expect(request.authorization).toBeUndefined();
  });

  it('a MediaUrl0 off Twilio’s host is recorded as text, never fetched; the listener sees nothing', async () => {
    const user = newUser();
    // Even a Twilio-shaped path on another host (port) is not Twilio's.
    const offHost = `${listenerUrl}/2010-04-01/Accounts/${tw.fake.accountSid}/Messages/MM1/Media/ME1`;
    const { id, conversationId } = await tw.inbound(
      tw.fake.inboundParams(user, '', { NumMedia: '1', MediaUrl0: offHost, MediaContentType0: 'image/png' }),
    );
    const [row] = await tw.app.database.query<{ content: string; attachments: any[] }>(
      'select content, attachments from messages where id = $1',
      [id],
    );
    expect(row?.content).toBe(`[media not fetched: ${offHost}]`);
    expect(row?.attachments ?? []).toEqual([]);
    const res = await tw.app.call('GET', attachmentRoute(conversationId, id, 0), {
      token: tw.ws.owner.token,
    });
    expect(res.status).toBe(404);
    expect(seen).toEqual([]);
  });

  it('a media redirect to another listener is followed without credentials', async () => {
    const bytes = randomBytes(300);
    const mediaUrl = tw.fake.addMedia(bytes, 'image/png');
    const cdn = tw.fake.cdnUrl;
    tw.fake.cdnUrl = listenerUrl;
    try {
      const { id, conversationId } = await tw.inbound(
        tw.fake.inboundParams(newUser(), 'pic', {
          NumMedia: '1',
          MediaUrl0: mediaUrl,
          MediaContentType0: 'image/png',
        }),
      );
      const res = await tw.app.call('GET', attachmentRoute(conversationId, id, 0), {
        token: tw.ws.owner.token,
      });
      expect(res.status).toBe(200);
      expect(seen.length).toBe(1);
      expect(seen[0]?.authorization).toBeUndefined();
    } finally {
      tw.fake.cdnUrl = cdn;
      seen.length = 0;
    }
  });
});

/** Makes the next turn wait until the returned `release` is called with the reply. */
function slowTurn() {
  let release!: (text: string) => void;
  const answer = new Promise<string>((resolve) => (release = resolve));
  let started = false;
  const previous = tw.reply;
  tw.reply = () => {
    started = true;
    tw.reply = previous;
    return answer;
  };
  return { started: () => (started ? true : undefined), release };
}

const templateSent = (user: string) =>
  eventually(async () => {
    const rows = await tw.outbound(user);
    return rows.some((r) => r.template && r.status === 'sent') ? rows : undefined;
  });

describe('Twilio and the 24-hour window', () => {
  it('sends the content template and holds the reply 25 h after the last inbound; releases it when they write', async () => {
    const user = newUser();
    const turn = slowTurn();
    await tw.text(user, 'Where is my parcel?', 'Lena');
    await eventually(turn.started);
    tw.clock.advance(25 * HOURS);
    tw.fake.closeWindow(user);
    turn.release('It ships tomorrow.');

    const [template] = await eventually(() => (tw.sentTo(user).length > 0 ? tw.sentTo(user) : undefined));
    expect(template).toMatchObject({
      to: `whatsapp:${user}`,
      contentSid: CONTENT_SID,
      contentVariables: { '1': 'Lena', '2': 'your order' },
    });
    expect(template?.body).toBeUndefined();
    const held = await templateSent(user);
    expect(held.map((r) => [r.content, r.status])).toEqual([
      ['It ships tomorrow.', 'held'],
      [`[template ${CONTENT_SID}] Lena | your order`, 'sent'],
    ]);
    expect(held[0]?.error_code).toBe('outside_window');

    tw.fake.openWindow(user);
    await tw.text(user, 'Thanks!', 'Lena');
    const texts = await eventually(() => {
      const bodies = tw.sentTo(user).filter((s) => s.body !== undefined);
      return bodies.length >= 2 ? bodies : undefined;
    });
    expect(texts.map((s) => s.body)).toEqual(['It ships tomorrow.', 're: Thanks!']);
    expect(tw.sentTo(user).filter((s) => s.contentSid)).toHaveLength(1);
  });

  it('does the same after the fact when Twilio reports 63016 in a failed status callback', async () => {
    const user = newUser();
    tw.fake.closeWindow(user); // Twilio knows better than our record: 201, then a failed callback.
    await tw.text(user, 'Still there?', 'Omar');
    const rows = await templateSent(user);
    expect(rows.map((r) => [r.content, r.status])).toEqual([
      ['re: Still there?', 'held'],
      [`[template ${CONTENT_SID}] Omar | your order`, 'sent'],
    ]);
    expect(tw.sentTo(user).map((s) => (s.contentSid ? 'template' : 'text'))).toEqual(['text', 'template']);
  });

  it('does the same when Twilio refuses the send at once with 63016', async () => {
    const user = newUser();
    tw.fake.windowMode = 'sync';
    try {
      tw.fake.closeWindow(user);
      await tw.text(user, 'Hello?', 'Ida');
      const rows = await templateSent(user);
      expect(rows.map((r) => r.status)).toEqual(['held', 'sent']);
      expect(tw.sentTo(user).map((s) => s.contentSid)).toEqual([CONTENT_SID]);
    } finally {
      tw.fake.windowMode = 'status';
    }
  });
});
