import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/http/env.ts';
import { front } from '../../src/http/front.ts';
import { requestLog } from '../../src/http/request-log.ts';
import { securityHeaders } from '../../src/http/security-headers.ts';
import { captureLogger } from '../helpers/logs.ts';

const { logger, lines } = captureLogger('info');
const app = new Hono<AppEnv>();
let server: ReturnType<typeof serve>;
let url = '';

beforeAll(async () => {
  const headers = await securityHeaders();
  app.use(
    '*',
    front(requestLog(logger, 'all'), (path) => (path === '/script.js' ? headers.widgetScript : headers.page)),
  );
  app.get('/json', (c) => c.json({ ok: true }));
  app.get('/script.js', (c) => c.text('1'));
  app.get('/own', () => new Response('own', { headers: { 'referrer-policy': 'origin' } }));
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Both ways a response leaves: over node:http (headers on the Node response) and in-process (`app.request`). */
const ways = {
  'over HTTP': (path: string, init?: RequestInit) => fetch(`${url}${path}`, init),
  'in-process': (path: string, init?: RequestInit) => Promise.resolve(app.request(path, init)),
};

describe.each(Object.entries(ways))('front middleware, %s', (way, get) => {
  it('sends the page security set, the widget script its cross-origin variant, and a handler value wins', async () => {
    const { page, widgetScript } = await securityHeaders();
    expect(Object.keys(page).length).toBeGreaterThanOrEqual(10);
    const json = await get('/json');
    expect(Object.fromEntries(json.headers)).toMatchObject(page);
    expect(json.headers.get('content-type')).toBe('application/json');
    const script = await get('/script.js');
    expect(Object.fromEntries(script.headers)).toMatchObject(widgetScript);
    expect(script.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const own = await get('/own');
    expect(own.headers.get('referrer-policy')).toBe('origin');
    expect(own.headers.get('x-frame-options')).toBe(page['x-frame-options']);
  });

  it('echoes a safe caller request id, logs it with the status, and makes a fresh one otherwise', async () => {
    const id = `id-${way.replace(/\W/g, '')}`;
    const res = await get('/json', { headers: { 'x-request-id': id } });
    expect(res.headers.get('x-request-id')).toBe(id);
    const fresh = await get('/json', { headers: { 'x-request-id': 'x'.repeat(200) } });
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.request_id === id);
    expect(logged).toMatchObject([{ msg: 'request', method: 'GET', path: '/json', status: 200 }]);
  });
});
