import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWorkspace } from '../helpers/fixtures.ts';
import { signLoopback } from '../../src/channels/loopback/protocol.ts';
import { LOOPBACK_SECRET, LoopbackPeer } from '../helpers/loopback-peer.ts';

/** The same webhooks against a server with the fast lane (default) and one with WEBHOOK_FAST_LANE=false. */
let peer: LoopbackPeer;
const servers: { lane: TestApp; hono: TestApp } = {} as never;
const agents: { lane: string; hono: string } = { lane: '', hono: '' };
const BODY_LIMIT = 4096;

beforeAll(async () => {
  peer = await new LoopbackPeer().start();
  const env = {
    LOOPBACK_CHANNEL_URL: peer.url,
    LOOPBACK_CHANNEL_SECRET: LOOPBACK_SECRET,
    BODY_LIMIT_BYTES: String(BODY_LIMIT),
  };
  const engine = { engine: { responder: async () => ({ text: 'ok' }) } };
  servers.lane = await startTestApp(env, undefined, engine);
  servers.hono = await startTestApp({ ...env, WEBHOOK_FAST_LANE: 'false' }, undefined, engine);
  agents.lane = (await createWorkspace(servers.lane, 'lane')).agentId;
  agents.hono = (await createWorkspace(servers.hono, 'hono')).agentId;
});
afterAll(async () => {
  await servers.lane?.close();
  await servers.hono?.close();
  await peer?.close();
});

type Post = { path?: string; body?: string; headers?: Record<string, string>; chunked?: boolean };
type Answer = { status: number; body: string; headers: Record<string, string> };

/** Headers that differ between any two responses. */
const VARYING = new Set(['date', 'x-request-id', 'connection', 'keep-alive', 'content-length']);

async function post(which: 'lane' | 'hono', post: Post): Promise<Answer> {
  const body = post.body ?? JSON.stringify({ update_id: 'u-1', message: { from: 'ann', text: 'hello' } });
  const path = (post.path ?? '/api/v1/channels/webhooks/loopback/{agent}').replace('{agent}', agents[which]);
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(body));
      controller.close();
    },
  });
  const response = await fetch(`${servers[which].url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-loopback-signature': signLoopback(body, LOOPBACK_SECRET),
      ...post.headers,
    },
    body: post.chunked ? stream : body,
    ...(post.chunked ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = (await response.text()).replaceAll(agents[which], '{agent}');
  return { status: response.status, body: text, headers: Object.fromEntries(response.headers) };
}

/** Posts to both servers; expects the same answer and reports whether the lane took it. */
async function same(request: Post): Promise<{ answer: Answer; laneTook: boolean }> {
  const before = servers.lane.laneTaken();
  const lane = await post('lane', request);
  const laneTook = servers.lane.laneTaken() > before;
  const hono = await post('hono', request);
  expect(servers.hono.laneTaken()).toBe(0);
  expect({ status: lane.status, body: lane.body }).toEqual({ status: hono.status, body: hono.body });
  const stable = (headers: Record<string, string>) =>
    Object.fromEntries(Object.entries(headers).filter(([name]) => !VARYING.has(name)));
  expect(stable(lane.headers)).toEqual(stable(hono.headers));
  expect(lane.headers['x-request-id']).toBeTruthy();
  return { answer: lane, laneTook };
}

describe('webhook fast lane', () => {
  it('answers a new update, then its redelivery, exactly as the Hono route does', async () => {
    const first = await same({});
    expect(first.laneTook).toBe(true);
    expect(first.answer.status).toBe(200);
    expect(JSON.parse(first.answer.body)).toEqual({ success: true, accepted: 1, duplicates: 0, rejected: 0 });
    expect(first.answer.headers['content-type']).toBe('application/json');
    expect(first.answer.headers['x-content-type-options']).toBe('nosniff');
    const again = await same({});
    expect(again.laneTook).toBe(true);
    expect(JSON.parse(again.answer.body)).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it('answers a bad signature, an unknown agent and an unknown channel with the same errors', async () => {
    const forged = await same({ headers: { 'x-loopback-signature': 'sha256=00' } });
    expect(forged).toMatchObject({ laneTook: true, answer: { status: 401 } });
    const unknown = await same({
      path: '/api/v1/channels/webhooks/loopback/agent_01HZZZZZZZZZZZZZZZZZZZZZZZ',
    });
    expect(unknown).toMatchObject({ laneTook: true, answer: { status: 404 } });
    expect(JSON.parse(unknown.answer.body)).toEqual({ success: false, error: 'Channel not found' });
    const channel = await same({ path: '/api/v1/channels/webhooks/telegram/{agent}' });
    expect(channel).toMatchObject({ laneTook: true, answer: { status: 404 } });
  });

  it('joins a body that arrives in pieces', async () => {
    const body = JSON.stringify({ update_id: 'u-split', message: { from: 'cy', text: 'é'.repeat(1500) } });
    const bytes = Buffer.from(body);
    const url = new URL(servers.lane.url);
    const before = servers.lane.laneTaken();
    const socket = net.connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      [
        `POST /api/v1/channels/webhooks/loopback/${agents.lane} HTTP/1.1`,
        `Host: ${url.host}`,
        'Content-Type: application/json',
        `X-Loopback-Signature: ${signLoopback(body, LOOPBACK_SECRET)}`,
        `Content-Length: ${bytes.length}`,
        'Connection: close',
        '',
        '',
      ].join('\r\n'),
    );
    // The second half after a pause: the server reads the body as two chunks, split inside a character.
    socket.write(bytes.subarray(0, 1001));
    await new Promise((r) => setTimeout(r, 50));
    socket.write(bytes.subarray(1001));
    let response = '';
    socket.on('data', (d: Buffer) => (response += d.toString()));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(servers.lane.laneTaken()).toBe(before + 1);
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    expect(response).toContain('"accepted":1');
    const [stored] = await servers.lane.database.query<{ text: string }>(
      `select payload->>'text' as text from inbound_events where provider_event_id = 'u-split'`,
    );
    expect(stored?.text).toBe('é'.repeat(1500));
  });

  it('echoes a safe X-Request-Id and replaces an unsafe one', async () => {
    const safe = await post('lane', { headers: { 'x-request-id': 'req-1234_abc=' } });
    expect(safe.headers['x-request-id']).toBe('req-1234_abc=');
    const unsafe = await post('lane', { headers: { 'x-request-id': 'has space' } });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('leaves what it does not take to Hono: a query, a chunked or too large body, the status URL', async () => {
    const query = await same({ path: '/api/v1/channels/webhooks/loopback/{agent}?x=1' });
    expect(query.laneTook).toBe(false);
    const chunked = await same({
      body: JSON.stringify({ update_id: 'u-2', message: { from: 'ann', text: 'chunked' } }),
      chunked: true,
    });
    expect(chunked).toMatchObject({ laneTook: false, answer: { status: 200 } });
    const large = await same({ body: JSON.stringify({ update_id: 'u-3', pad: 'x'.repeat(BODY_LIMIT) }) });
    expect(large).toMatchObject({ laneTook: false, answer: { status: 413 } });
    const status = await same({
      path: '/api/v1/channels/webhooks/loopback/{agent}/status',
      body: JSON.stringify({ update_id: 'u-4', message: { from: 'bob', text: 'via status' } }),
    });
    expect(status).toMatchObject({ laneTook: true, answer: { status: 200 } });
  });
});
