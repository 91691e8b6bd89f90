import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlmClient } from '../../src/agent/llm/client.ts';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWorkspace } from '../helpers/fixtures.ts';
import { eventually, LOOPBACK_SECRET, LoopbackPeer, postLoopback } from '../helpers/loopback-peer.ts';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
let app: TestApp;
let peer: LoopbackPeer;
let llm: FakeLlm;
let agentId: string;

beforeAll(async () => {
  peer = await new LoopbackPeer().start();
  llm = await startFakeLlm();
  app = await startTestApp(
    {
      METRICS_TOKEN,
      LOOPBACK_CHANNEL_URL: peer.url,
      LOOPBACK_CHANNEL_SECRET: LOOPBACK_SECRET,
      TURN_DEBOUNCE_MS: 'loopback=0',
    },
    undefined,
    { engine: { responder: async (input) => ({ text: `echo ${input.pending.length}` }) } },
  );
  ({ agentId } = await createWorkspace(app, 'metrics'));
});
afterAll(async () => {
  await app?.close();
  await peer?.close();
  await llm?.close();
});

async function scrape(token = METRICS_TOKEN): Promise<Response> {
  return fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
}

/** The value of one sample, e.g. `switchboard_deliveries_total{channel="loopback",…}`; 0 when absent. */
/** The sum of every series of `name` whose labels include `labels` (the registry is process-wide). */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    const parts = inside.split(',');
    if (want.every((w) => parts.includes(w))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const update = (id: string, from: string) => ({ update_id: id, message: { from, text: `hi ${id}` } });

describe('/metrics', () => {
  it('needs the metrics token, compared exactly', async () => {
    expect((await fetch(`${app.url}/metrics`)).status).toBe(401);
    expect((await scrape('metrics-token-0123456789abcdeX')).status).toBe(401);
    const ok = await scrape();
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
    const text = await ok.text();
    expect(text).toContain('switchboard_nodejs_eventloop_lag_seconds');
    expect(text).toMatch(/switchboard_queue_jobs\{queue="conversation",state="waiting"\} \d+/);
    expect(text).toMatch(/switchboard_queue_oldest_waiting_seconds\{queue="inbound"\} [\d.]+/);
    if (app.database.kind === 'postgres') {
      expect(text).toMatch(/switchboard_db_pool_connections\{state="total"\} [1-9]/);
    }
  });

  it('counts webhook outcomes, deliveries with retries, and turns per channel', async () => {
    const before = await (await scrape()).text();
    peer.failNext({ status: 503 });
    const first = update('m-1', 'alice');
    expect((await postLoopback(app.url, agentId, first)).status).toBe(200);
    expect((await postLoopback(app.url, agentId, first)).status).toBe(200);
    expect(
      (await postLoopback(app.url, agentId, update('m-2', 'bob'), 'wrong-secret-0123456789')).status,
    ).toBe(401);
    await eventually(() => (peer.sends.some((s) => s.chatId === 'alice' && s.ok) ? true : undefined), 20_000);

    const after = await eventually(async () => {
      const text = await (await scrape()).text();
      return sample(text, 'switchboard_deliveries_total', { channel: 'loopback', outcome: 'sent' }) >
        sample(before, 'switchboard_deliveries_total', { channel: 'loopback', outcome: 'sent' })
        ? text
        : undefined;
    });
    const delta = (name: string, labels: Record<string, string>) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta('switchboard_webhook_events_total', { channel: 'loopback', outcome: 'accepted' })).toBe(1);
    expect(delta('switchboard_webhook_events_total', { channel: 'loopback', outcome: 'duplicate' })).toBe(1);
    expect(delta('switchboard_webhook_events_total', { channel: 'loopback', outcome: 'rejected' })).toBe(1);
    const loopback = { channel: 'loopback', provider: 'loopback' };
    expect(delta('switchboard_deliveries_total', { ...loopback, outcome: 'retry' })).toBe(1);
    expect(delta('switchboard_deliveries_total', { ...loopback, outcome: 'sent' })).toBe(1);
    expect(delta('switchboard_turn_duration_seconds_count', { channel: 'loopback', outcome: 'ok' })).toBe(1);
  });

  it('counts the statements sent to PostgreSQL by pool (round trips; the embedded database has none)', async () => {
    const before = await (await scrape()).text();
    expect((await postLoopback(app.url, agentId, update('m-3', 'carol'))).status).toBe(200);
    await eventually(() => (peer.sends.some((s) => s.chatId === 'carol' && s.ok) ? true : undefined), 20_000);
    const after = await (await scrape()).text();
    const delta = (pool: string) =>
      sample(after, 'switchboard_db_statements_total', { pool }) -
      sample(before, 'switchboard_db_statements_total', { pool });
    if (app.database.kind === 'postgres') {
      // At least the ingest, the inbound transaction's BEGIN, read and COMMIT, the turn's read and the reply.
      expect(delta('app')).toBeGreaterThanOrEqual(6);
      // At least the fetch and the completion of the inbound job.
      expect(delta('queue')).toBeGreaterThanOrEqual(2);
    } else {
      expect(delta('app') + delta('queue')).toBe(0);
    }
  });

  it('labels HTTP latency by route pattern, never by the raw path', async () => {
    const text = await (await scrape()).text();
    const webhookRoute = '/api/v1/channels/webhooks/:channel/:agentId';
    expect(
      sample(text, 'switchboard_http_request_duration_seconds_count', { route: webhookRoute, status: '200' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      sample(text, 'switchboard_http_request_duration_seconds_count', { route: webhookRoute, status: '401' }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(agentId);
  });

  it('counts LLM latency, tokens and errors per provider', async () => {
    const before = await (await scrape()).text();
    const client = createLlmClient({ timeoutMs: 5000, maxRetries: 1, baseDelayMs: 5, maxDelayMs: 50 });
    llm.fail(500, { times: 1 });
    llm.reply('four words right here');
    await client.generate({
      primary: {
        provider: 'openai-compatible',
        model: 'fake-model',
        baseUrl: llm.url,
        apiKey: 'sk-test-0123456789',
        parameters: {},
      },
      system: 'test',
      messages: [{ role: 'user', content: 'two words' }],
    });
    const after = await (await scrape()).text();
    const provider = { provider: 'openai-compatible' };
    const delta = (name: string, labels: Record<string, string>) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta('switchboard_llm_request_duration_seconds_count', { ...provider, outcome: 'ok' })).toBe(1);
    expect(delta('switchboard_llm_tokens_total', { ...provider, kind: 'output' })).toBe(4);
    expect(delta('switchboard_llm_tokens_total', { ...provider, kind: 'input' })).toBeGreaterThan(0);
    expect(delta('switchboard_llm_errors_total', provider)).toBe(1);
  });
});

describe('/metrics without METRICS_TOKEN', () => {
  it('does not exist', async () => {
    const plain = await startTestApp();
    try {
      expect((await fetch(`${plain.url}/metrics`)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
