import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.ts';
import { FakeTelegram } from '../helpers/fake-telegram.ts';
import { createWorkspace, type Workspace } from '../helpers/fixtures.ts';
import { secret } from '../helpers/secrets.ts';

/**
 * Member-supplied outbound URLs (an agent's LLM base_url, the Telegram webhook URL) against private targets: refused
 * by default with one message whether or not anything listens there, allowed by OUTBOUND_ALLOW_PRIVATE=true. Every
 * URL here is an IP literal, so nothing resolves a name.
 */

const TOKEN = secret(`${710000 + Math.floor(Math.random() * 1e5)}:${randomBytes(24).toString('base64url')}`);

let llm: FakeLlm;
let fake: FakeTelegram;
let closedPort: number;

/** A port that was just released: nothing listens there. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function appWith(allowPrivate: boolean): Promise<{ app: TestApp; ws: Workspace }> {
  const app = await startTestApp({
    OUTBOUND_ALLOW_PRIVATE: String(allowPrivate),
    TELEGRAM_API_ROOT: fake.url,
    LLM_MAX_RETRIES: '0',
    CHANNEL_CONFIG_WRITES_PER_MINUTE: '1000',
  });
  const ws = await createWorkspace(app, allowPrivate ? 'open' : 'guarded');
  const put = await app.call('PUT', channels(ws), {
    token: ws.owner.token,
    body: { telegram: { enabled: true, bot_token: TOKEN, bot_username: 'guard_bot' } },
  });
  expect(put.status, put.text).toBe(200);
  return { app, ws };
}

const agentPath = (ws: Workspace) =>
  `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}`;
const channels = (ws: Workspace) =>
  `/api/v1/channels/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/channels`;

/** Points the agent at `baseUrl` (keyless) and asks it one question; returns the chat response. */
async function chatVia(app: TestApp, ws: Workspace, baseUrl: string) {
  const put = await app.call('PUT', agentPath(ws), {
    token: ws.owner.token,
    body: { llm_settings: { provider: 'openai-compatible', model: 'fake', base_url: baseUrl } },
  });
  expect(put.status, put.text).toBe(200);
  return app.call('POST', `${agentPath(ws)}/chat`, { token: ws.owner.token, body: { message: 'hello' } });
}

beforeAll(async () => {
  llm = await startFakeLlm();
  fake = await new FakeTelegram(TOKEN, 'guard_bot').start();
  closedPort = await freePort();
});
afterAll(async () => {
  await llm?.close();
  await fake?.close();
});

describe('outbound URLs by default (OUTBOUND_ALLOW_PRIVATE=false)', () => {
  let app: TestApp;
  let ws: Workspace;
  beforeAll(async () => ({ app, ws } = await appWith(false)));
  afterAll(() => app?.close());

  it('refuses private LLM base URLs with one message, whether or not something listens there', async () => {
    const before = llm.requests.length;
    const targets = [
      llm.url, // a live server on loopback
      `http://127.0.0.1:${closedPort}/v1`, // nothing listening
      'http://169.254.169.254/v1', // cloud metadata
      'http://10.0.0.7:8080/v1',
      `http://[::ffff:127.0.0.1]:${new URL(llm.url).port}/v1`,
      `http://[::1]:${closedPort}/v1`,
    ];
    const errors = new Set<string>();
    for (const target of targets) {
      const res = await chatVia(app, ws, target);
      expect(res.status, target).toBeGreaterThanOrEqual(400);
      expect(res.status, target).toBeLessThan(600);
      errors.add(`${res.status} ${res.body.error}`);
    }
    expect(errors.size, [...errors].join('\n')).toBe(1);
    expect([...errors][0]).toContain('private or reserved network address');
    expect([...errors][0]).not.toMatch(/ECONNREFUSED|refused|timed out|port/i);
    expect(llm.requests.length).toBe(before);
  });

  it('refuses a Telegram webhook URL on a private address, and never calls setWebhook with it', async () => {
    const calls = fake.callsOf('setWebhook').length;
    for (const url of ['https://127.0.0.1/hook', 'https://10.1.2.3:8443/hook', 'https://[fd00::1]/hook']) {
      const res = await app.call('POST', `${channels(ws)}/telegram/webhook/setup`, {
        token: ws.owner.token,
        body: { webhook_url: url },
      });
      expect(res.status, url).toBe(400);
      expect(res.body.error).toContain(
        'webhook_url: This URL points to a private or reserved network address',
      );
    }
    expect(fake.callsOf('setWebhook').length).toBe(calls);
  });
});

describe('outbound URLs with OUTBOUND_ALLOW_PRIVATE=true', () => {
  let app: TestApp;
  let ws: Workspace;
  beforeAll(async () => ({ app, ws } = await appWith(true)));
  afterAll(() => app?.close());

  it('lets a local model on loopback answer', async () => {
    llm.reply('local model here');
    const res = await chatVia(app, ws, llm.url);
    expect(res.status, res.text).toBe(200);
    expect(res.body.response).toBe('local model here');
  });

  it('lets a webhook URL on a private address through to setWebhook', async () => {
    const res = await app.call('POST', `${channels(ws)}/telegram/webhook/setup`, {
      token: ws.owner.token,
      body: { webhook_url: 'https://10.1.2.3:8443/hook' },
    });
    expect(res.status, res.text).toBe(200);
    expect(fake.callsOf('setWebhook').at(-1)?.params.url).toBe('https://10.1.2.3:8443/hook');
  });
});
