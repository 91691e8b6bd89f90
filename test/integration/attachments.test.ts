import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentDisposition, limitBytes, safeContentType } from '../../src/conversations/attachment-route.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeTelegram } from '../helpers/fake-telegram.ts';
import { addMember, createWorkspace, registerUser, type Workspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { secret } from '../helpers/secrets.ts';

/** The attachment download route, with Telegram's getFile behind it (the fake Bot API serves the files). */
const TOKEN = secret(`${700000 + Math.floor(Math.random() * 1e5)}:${randomBytes(24).toString('base64url')}`);
const MAX_BYTES = 4096;
let app: TestApp;
let fake: FakeTelegram;
let ws: Workspace;
let outsider: Workspace;
const person = { id: 515151, first_name: 'Noor' };
const pdf = randomBytes(3000);

const url = (conversationId: string, messageId: string, index: number | string, agentId = ws.agentId) =>
  `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${agentId}/conversations/${conversationId}` +
  `/messages/${messageId}/attachments/${index}`;

/** Sends a Telegram update and returns the stored inbound message with its conversation. */
async function receive(extra: object, text = ''): Promise<{ conversationId: string; messageId: string }> {
  const [last] = await app.database.query<{ seq: number }>(
    `select coalesce(max(seq), 0)::int as seq from messages`,
  );
  expect(await fake.deliver(fake.textUpdate(person, text, extra))).toBe(200);
  return eventually(async () => {
    const rows = await app.database.query<{ id: string; conversation_id: string }>(
      `select id, conversation_id from messages where direction = 'inbound' and seq > $1 order by seq limit 1`,
      [last?.seq ?? 0],
    );
    return rows[0] ? { conversationId: rows[0].conversation_id, messageId: rows[0].id } : undefined;
  });
}

beforeAll(async () => {
  fake = await new FakeTelegram(TOKEN, 'files_bot').start();
  app = await startTestApp(
    {
      PUBLIC_URL: 'https://bot.example.com',
      TELEGRAM_API_ROOT: fake.url,
      ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
    },
    undefined,
    // The agent never answers: these tests only read what came in.
    { engine: { responder: async () => ({ text: '' }) } },
  );
  fake.deliverTo = (target) => `${app.url}${new URL(target).pathname}`;
  ws = await createWorkspace(app, 'files');
  outsider = await createWorkspace(app, 'outsider');
  const channels = `/api/v1/channels/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/channels`;
  const put = await app.call('PUT', channels, {
    token: ws.owner.token,
    body: { telegram: { enabled: true, bot_token: TOKEN, bot_username: 'files_bot' } },
  });
  expect(put.status, put.text).toBe(200);
  const setup = await app.call('POST', `${channels}/telegram/webhook/setup`, {
    token: ws.owner.token,
    body: {},
  });
  expect(setup.status, setup.text).toBe(200);
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe('GET …/messages/{messageId}/attachments/{index}', () => {
  it('streams a Telegram document through getFile with its type, a safe filename and nosniff', async () => {
    fake.addFile('doc-1', pdf);
    const document = {
      file_id: 'doc-1',
      file_unique_id: 'u-doc-1',
      file_name: 'report "final"/ü.pdf',
      mime_type: 'application/pdf',
      file_size: pdf.length,
    };
    const { conversationId, messageId } = await receive({ document, caption: 'the report' });
    const res = await fetch(app.url + url(conversationId, messageId, 0), {
      headers: { authorization: `Bearer ${ws.owner.token}` },
    });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(pdf)).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="report final_.pdf"; filename*=UTF-8''report%20final%C3%BC.pdf`,
    );
    expect(fake.callsOf('getFile').map((call) => call.params.file_id)).toContain('doc-1');

    // A viewer may read it; another organization's owner sees nothing there.
    const viewer = await registerUser(app, 'viewer');
    await addMember(app, ws.owner, ws.orgId, viewer, 'viewer');
    expect((await app.call('GET', url(conversationId, messageId, 0), { token: viewer.token })).status).toBe(
      200,
    );
    const foreign = await app.call('GET', url(conversationId, messageId, 0), { token: outsider.owner.token });
    expect(foreign.status).toBe(404);
    const ownAgent = await app.call(
      'GET',
      `/api/v1/organizations/${outsider.orgId}/projects/${outsider.projectId}/agents/${outsider.agentId}` +
        `/conversations/${conversationId}/messages/${messageId}/attachments/0`,
      { token: outsider.owner.token },
    );
    expect(ownAgent.status).toBe(404);
  });

  it('answers 404 for an index out of range, an attachment without a ref, and an unknown message', async () => {
    const { conversationId, messageId } = await receive({ location: { latitude: 52.5, longitude: 13.4 } });
    const none = await app.call('GET', url(conversationId, messageId, 0), { token: ws.owner.token });
    expect(none.status, none.text).toBe(404);
    expect(none.body.error).toBe('Attachment not found');
    expect((await app.call('GET', url(conversationId, messageId, 1), { token: ws.owner.token })).status).toBe(
      404,
    );
    expect(
      (await app.call('GET', url(conversationId, 'msg_nope', 0), { token: ws.owner.token })).status,
    ).toBe(404);
    const negative = await app.call('GET', url(conversationId, messageId, -1), { token: ws.owner.token });
    expect(negative.status).toBe(400);
  });

  it('refuses a file over ATTACHMENT_MAX_BYTES and answers a provider failure with a clean 502', async () => {
    fake.addFile('big-1', randomBytes(MAX_BYTES + 1));
    const big = await receive({
      document: { file_id: 'big-1', file_unique_id: 'u-big', file_name: 'big.bin', file_size: MAX_BYTES + 1 },
    });
    const tooBig = await app.call('GET', url(big.conversationId, big.messageId, 0), {
      token: ws.owner.token,
    });
    expect(tooBig.status).toBe(502);
    expect(tooBig.body.error).toContain('ATTACHMENT_MAX_BYTES');

    // getFile fails (the file is gone): 502 that names neither the token nor the upstream URL.
    const gone = await receive({
      document: { file_id: 'gone-1', file_unique_id: 'u-gone', file_name: 'gone.bin' },
    });
    const failed = await app.call('GET', url(gone.conversationId, gone.messageId, 0), {
      token: ws.owner.token,
    });
    expect(failed.status).toBe(502);
    expect(failed.body.error).toBe('The telegram provider could not supply this attachment');
    expect(failed.text).not.toContain(TOKEN);
    expect(failed.text).not.toContain(fake.url);
  });
});

describe('attachment response helpers', () => {
  it('cuts a stream off once it passes the limit', async () => {
    const source = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(100));
          controller.close();
        },
      });
    expect((await new Response(limitBytes(source(), 500)).arrayBuffer()).byteLength).toBe(500);
    await expect(new Response(limitBytes(source(), 499)).arrayBuffer()).rejects.toThrow();
  });

  it('sends only well-formed content types and header-safe filenames', () => {
    expect(safeContentType('image/JPEG; charset=x')).toBe('image/jpeg');
    expect(safeContentType('text/html\r\nx: y', 'image/png')).toBe('image/png');
    expect(safeContentType(undefined, 'nonsense')).toBe('application/octet-stream');
    expect(contentDisposition('a\r\nb.txt', 'f')).toBe(
      `attachment; filename="ab.txt"; filename*=UTF-8''ab.txt`,
    );
    expect(contentDisposition('../..', 'f')).toBe(`attachment; filename="...."; filename*=UTF-8''....`);
    expect(contentDisposition('', 'attachment-0')).toContain('filename="attachment-0"');
  });
});
