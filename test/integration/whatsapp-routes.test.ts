import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.ts';
import { FakeGraph } from '../helpers/fake-graph.ts';
import { addMember, createWorkspace, registerUser, type TestUser } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { WhatsAppHarness } from '../helpers/whatsapp-app.ts';

/** A fake Graph API whose media object for one id points at another host (a payload we must not trust). */
class OffHostGraph extends FakeGraph {
  offHost = '';
  offHostMediaId = '';
  protected override downloadUrl(origin: string, id: string): string {
    return id === this.offHostMediaId
      ? `${this.offHost}/whatsapp_business/attachments/?mid=${id}`
      : super.downloadUrl(origin, id);
  }
}

const MAX_BYTES = 64 * 1024;
const wa = new WhatsAppHarness();
let thief: Server;
const stolen: IncomingHttpHeaders[] = [];
let viewer: TestUser;

const templateRoute = (conversationId: string) => `${wa.base}/conversations/${conversationId}/messages`;
const attachmentRoute = (conversationId: string, messageId: string, index: number) =>
  `${wa.base}/conversations/${conversationId}/messages/${messageId}/attachments/${index}`;

beforeAll(async () => {
  thief = createServer((req, res) => {
    stolen.push(req.headers);
    res.writeHead(200, { 'content-type': 'image/jpeg' }).end('not yours');
  });
  await new Promise<void>((resolve) => thief.listen(0, '127.0.0.1', resolve));
  await wa.start({ ATTACHMENT_MAX_BYTES: String(MAX_BYTES) }, (options) => new OffHostGraph(options));
  (wa.fake as OffHostGraph).offHost = `http://127.0.0.1:${(thief.address() as AddressInfo).port}`;
  await wa.configure();
  viewer = await registerUser(wa.app, 'viewer');
  await addMember(wa.app, wa.ws.owner, wa.ws.orgId, viewer, 'viewer');
});
afterAll(async () => {
  await wa.close();
  await new Promise<void>((resolve) => thief?.close(() => resolve()));
});

describe('POST …/conversations/{conversationId}/messages {template}', () => {
  it('sends the template through the provider and lets its statuses move it', async () => {
    const waId = '3161234500001';
    const { conversationId } = await wa.text(waId, 'hi', 'Sanne');
    await eventually(() => (wa.sentTo(waId).length > 0 ? true : undefined));
    const res = await wa.app.call('POST', templateRoute(conversationId), {
      token: wa.ws.owner.token,
      body: {
        template: { name: 'order_update', language: 'nl', parameters: ['{{contact_name}}', 'A-1001'] },
      },
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body.data).toMatchObject({
      role: 'human',
      user_id: wa.ws.owner.id,
      direction: 'outbound',
      channel: 'whatsapp',
      status: 'queued',
      content: '[template order_update] Sanne | A-1001',
    });
    const sent = await eventually(() => wa.sentTo(waId).find((s) => s.type === 'template'));
    expect(sent.body.template).toMatchObject({ name: 'order_update', language: { code: 'nl' } });
    expect(sent.body.template.components[0].parameters).toEqual([
      { type: 'text', text: 'Sanne' },
      { type: 'text', text: 'A-1001' },
    ]);
    await wa.fake.emitChanges([
      { value: wa.fake.statusValue(sent.id, 'delivered', waId) },
      { value: wa.fake.statusValue(sent.id, 'read', waId) },
    ]);
    const read = await eventually(async () => {
      const detail = await wa.app.call('GET', `${wa.base}/conversations/${conversationId}`, {
        token: wa.ws.owner.token,
      });
      const message = detail.body.data.messages.find((m: { _id: string }) => m._id === res.body.data._id);
      return message.status === 'read' ? message : undefined;
    });
    expect(read.provider_message_id).toBe(sent.id);
    expect(read.read_at).not.toBeNull();
  });

  it('answers 400 naming the field, 403 to a viewer, 404 elsewhere and 409 off WhatsApp', async () => {
    const { conversationId } = await wa.text('3161234500002', 'hello', 'Joris');
    const post = (body: unknown, token = wa.ws.owner.token) =>
      wa.app.call('POST', templateRoute(conversationId), { token, body });
    const cases: [unknown, string][] = [
      [{}, 'template'],
      [{ template: { language: 'en' } }, 'template.name'],
      [{ template: { name: 'Order Update', language: 'en' } }, 'template.name'],
      [{ template: { name: 'order_update', language: 'english' } }, 'template.language'],
      [{ template: { name: 'order_update', language: 'en', parameters: 'x' } }, 'template.parameters'],
      [{ template: { name: 'order_update', language: 'en' }, text: 'hi' }, 'text'],
    ];
    for (const [body, field] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error, JSON.stringify(body)).toContain(field);
    }
    const good = { template: { name: 'order_update', language: 'en' } };
    expect((await post(good, viewer.token)).status).toBe(403);
    const missing = await wa.app.call('POST', templateRoute('conv_missing'), {
      token: wa.ws.owner.token,
      body: good,
    });
    expect(missing.status).toBe(404);
    const outsider = await createWorkspace(wa.app, 'outsider');
    expect((await post(good, outsider.owner.token)).status).toBe(404);

    // A conversation on another channel: 409, nothing queued.
    const telegramConversation = newId('conv');
    await wa.app.database.query(
      `insert into conversations (id, agent_id, user_identifier, channel) values ($1, $2, 'telegram:1', 'telegram')`,
      [telegramConversation, wa.ws.agentId],
    );
    const offChannel = await wa.app.call('POST', templateRoute(telegramConversation), {
      token: wa.ws.owner.token,
      body: good,
    });
    expect(offChannel.status, offChannel.text).toBe(409);
    expect(offChannel.body.error).toContain('WhatsApp only');
  });
});

describe('GET …/attachments/{index} for WhatsApp media', () => {
  it('streams a Meta media file through GET /{media id} and the download URL, with the Bearer only to Meta', async () => {
    const bytes = randomBytes(5000);
    const mediaId = wa.fake.addMedia(bytes, 'image/jpeg');
    const waId = '3161234500003';
    const { id, conversationId } = await wa.inbound(waId, {
      type: 'image',
      image: {
        id: mediaId,
        mime_type: 'image/jpeg',
        sha256: wa.fake.mediaSha256(mediaId),
        caption: 'damage',
      },
    });
    const res = await fetch(wa.app.url + attachmentRoute(conversationId, id, 0), {
      headers: { authorization: `Bearer ${viewer.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(wa.fake.calls.some((call) => call.path.endsWith(`/${mediaId}`) && call.status === 200)).toBe(true);
  });

  it('refuses a media URL on another host: 502, and the listener there never sees a request', async () => {
    const mediaId = wa.fake.addMedia(randomBytes(100), 'image/png');
    (wa.fake as OffHostGraph).offHostMediaId = mediaId;
    const { id, conversationId } = await wa.inbound('3161234500004', {
      type: 'image',
      image: { id: mediaId, mime_type: 'image/png' },
    });
    const res = await wa.app.call('GET', attachmentRoute(conversationId, id, 0), {
      token: wa.ws.owner.token,
    });
    expect(res.status).toBe(502);
    expect(res.body.error).toBe('The whatsapp provider could not supply this attachment');
    expect(res.text).not.toContain(wa.accessToken);
    expect(res.text).not.toContain((wa.fake as OffHostGraph).offHost);
    expect(stolen).toEqual([]);
  });

  it('bounds the size, and another organization gets 404', async () => {
    const { id, conversationId } = await wa.inbound('3161234500005', {
      type: 'document',
      document: {
        id: wa.fake.addMedia(randomBytes(100), 'application/pdf'),
        filename: 'a.pdf',
        mime_type: 'application/pdf',
      },
    });
    const outsider = await createWorkspace(wa.app, 'outsider-2');
    const foreign = await wa.app.call('GET', attachmentRoute(conversationId, id, 0), {
      token: outsider.owner.token,
    });
    expect(foreign.status).toBe(404);
    const ok = await wa.app.call('GET', attachmentRoute(conversationId, id, 0), { token: wa.ws.owner.token });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-disposition')).toContain('filename="a.pdf"');

    const big = await wa.inbound('3161234500006', {
      type: 'video',
      video: { id: wa.fake.addMedia(randomBytes(MAX_BYTES + 1), 'video/mp4'), mime_type: 'video/mp4' },
    });
    const tooBig = await wa.app.call('GET', attachmentRoute(big.conversationId, big.id, 0), {
      token: wa.ws.owner.token,
    });
    expect(tooBig.status).toBe(502);
    expect(tooBig.body.error).toContain('ATTACHMENT_MAX_BYTES');
  });
});
