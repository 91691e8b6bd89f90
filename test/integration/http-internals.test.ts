import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawBody } from '../../src/http/body.ts';
import { httpRequestSeconds } from '../../src/metrics/metrics.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { registerUser } from '../helpers/fixtures.ts';

let app: TestApp;
const BOT_TOKEN = '987654321:ZYXwvuTSRqpoNMLkjiHGFedcba9876543210';
const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  app = await startTestApp({ BODY_LIMIT_BYTES: '2048' }, (hono) => {
    const echo = async (c: Parameters<typeof rawBody>[0]) => {
      const bytes = await rawBody(c);
      return c.json({ length: bytes.length, sha256: sha256(bytes) });
    };
    // Stand-ins for routes later issues add: a provider webhook and an authenticated JSON route.
    hono.post('/api/v1/channels/webhooks/echo/:agentId/raw', echo);
    hono.post('/api/v1/echo-json', echo);
    // A handler answering with a web Response of its own, one header of the security set included.
    hono.get('/own-response', () => new Response('own', { headers: { 'x-frame-options': 'DENY' } }));
    hono.get('/boom', () => {
      throw new Error(`database exploded; url https://api.telegram.org/bot${BOT_TOKEN}/getMe`);
    });
  });
});
afterAll(() => app?.close());

describe('raw request bytes', () => {
  it('reach webhook handlers exactly as sent, without a bearer token, in any content type', async () => {
    const payload = 'Body=Hello+%F0%9F%91%8B&From=whatsapp%3A%2B14155550100&x=%00';
    const res = await fetch(`${app.url}/api/v1/channels/webhooks/echo/agent_1/raw`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: payload,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ length: payload.length, sha256: sha256(payload) });
  });

  it('survive JSON validation byte for byte (whitespace, key order, escapes)', async () => {
    const user = await registerUser(app, 'raw');
    const payload = '{ "b":1,\n  "a" : "\\u00e9\\/x" }';
    const res = await app.call('POST', '/api/v1/echo-json', {
      token: user.token,
      rawBody: payload,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ length: payload.length, sha256: sha256(payload) });
  });

  it('are bounded on webhook routes too', async () => {
    const res = await fetch(`${app.url}/api/v1/channels/webhooks/echo/agent_1/raw`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(3000),
    });
    expect(res.status).toBe(413);
  });
});

describe('unexpected failures', () => {
  it('answer a bare 500 and are logged with credentials redacted', async () => {
    const res = await app.call('GET', '/boom');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ success: false, error: 'Internal server error' });
    const logged = app.logs.find((l) => l.includes('unhandled error'));
    expect(logged).toBeDefined();
    expect(logged).toContain('database exploded');
    expect(logged).not.toContain(BOT_TOKEN);
  });
});

describe('request log', () => {
  const requestLines = (path: string) =>
    app.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request' && l.path === path);

  it('leaves successful probes out at info but logs API calls', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    expect(requestLines('/healthz')).toEqual([]);
    expect(requestLines('/readyz')).toEqual([]);
    expect((await app.call('GET', '/api/v1/organizations')).status).toBe(401);
    expect(requestLines('/api/v1/organizations')).toMatchObject([{ level: 'info', status: 401 }]);
  });

  it('logs writes at info and leaves successful reads at debug (REQUEST_LOG=changes, the default)', async () => {
    const user = await registerUser(app, 'request-log');
    expect((await app.call('GET', '/api/v1/auth/profile', { token: user.token })).status).toBe(200);
    expect(requestLines('/api/v1/auth/profile')).toEqual([]);
    const headers = { 'x-request-id': 'request-log-write' };
    const write = await app.call('POST', '/api/v1/echo-json', { token: user.token, body: { a: 1 }, headers });
    expect(write.status).toBe(200);
    expect(
      requestLines('/api/v1/echo-json').filter((l) => l.request_id === 'request-log-write'),
    ).toMatchObject([{ level: 'info', method: 'POST', status: 200 }]);
  });
});

describe('every response', () => {
  /** What every response carries (x-frame-options is checked apart: one handler sets its own). */
  const SECURITY = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'strict-transport-security': 'max-age=15552000; includeSubDomains',
  };
  const headersOf = (res: Response) => Object.fromEntries(res.headers);

  it('carries the security headers and a request id: JSON, 404, 500, streamed and hand-made responses', async () => {
    const responses = await Promise.all(
      [
        '/healthz',
        '/api/v1/organizations',
        '/nowhere',
        '/boom',
        '/own-response',
        '/api/openapi.json',
        '/docs',
      ].map((path) => fetch(`${app.url}${path}`)),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 401, 404, 500, 200, 200, 200]);
    const ids = new Set<string>();
    for (const res of responses) {
      expect(headersOf(res)).toMatchObject(SECURITY);
      ids.add(res.headers.get('x-request-id') ?? '');
    }
    // A fresh UUID each.
    expect([...ids].filter((id) => /^[0-9a-f-]{36}$/.test(id))).toHaveLength(responses.length);
    // The handler's own value for a header of the set wins, alone (both sent would read 'DENY, SAMEORIGIN').
    expect(
      responses.filter((r) => r.url.endsWith('/own-response')).map((r) => r.headers.get('x-frame-options')),
    ).toEqual(['DENY']);
    expect(
      responses.filter((r) => !r.url.endsWith('/own-response')).map((r) => r.headers.get('x-frame-options')),
    ).toEqual(Array(6).fill('SAMEORIGIN'));
  });

  it("echoes a caller's safe X-Request-Id into the response and the log line, and replaces an unsafe one", async () => {
    const safe = await fetch(`${app.url}/api/v1/organizations`, {
      headers: { 'x-request-id': 'trace-42_A=' },
    });
    expect(safe.headers.get('x-request-id')).toBe('trace-42_A=');
    const unsafe = await fetch(`${app.url}/api/v1/organizations`, {
      headers: { 'x-request-id': 'a b<script>' },
    });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const lines = app.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    expect(lines.filter((l) => l.request_id === 'trace-42_A=')).toMatchObject([
      { path: '/api/v1/organizations', status: 401, method: 'GET' },
    ]);
  });

  it('is observed under its route pattern', async () => {
    const count = async () => {
      const { values } = await httpRequestSeconds.get();
      const sample = values.find(
        (v) =>
          v.metricName === 'switchboard_http_request_duration_seconds_count' &&
          v.labels.route === '/own-response' &&
          v.labels.status === '200' &&
          v.labels.method === 'GET',
      );
      return sample?.value ?? 0;
    };
    const before = await count();
    await Promise.all([1, 2, 3].map(() => fetch(`${app.url}/own-response`)));
    expect(await count()).toBe(before + 3);
  });
});

describe('URL checks', () => {
  it('refuse an escaped NUL in a GET path or query (URLs without escapes skip the decoding)', async () => {
    expect((await fetch(`${app.url}/api/v1/x%00y`)).status).toBe(400);
    expect((await fetch(`${app.url}/healthz?q=%00`)).status).toBe(400);
    expect((await fetch(`${app.url}/healthz?q=plain`)).status).toBe(200);
  });
});
