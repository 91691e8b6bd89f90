import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_HEADER } from '../../src/channels/360dialog/webhook.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type Fake360Dialog, startFake360Dialog } from '../helpers/fake-360dialog.ts';
import { createWorkspace, type TestUser } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { secret } from '../helpers/secrets.ts';

/**
 * WhatsApp through 360dialog end to end: webhook setup registers the URL and a generated secret header with
 * the fake 360dialog, deliveries carrying that header are answered through `/messages` with D360-API-KEY, and
 * deliveries without it are refused.
 */

const API_KEY = secret(`d360_${randomBytes(20).toString('hex')}`);
const PUBLIC_URL = 'https://switchboard.example.com';

let app: TestApp;
let fake: Fake360Dialog;
let owner: TestUser;
let orgId: string;
let projectId: string;
let agentId: string;

const channelsPath = () =>
  `/api/v1/channels/organizations/${orgId}/projects/${projectId}/agents/${agentId}/channels`;
const inboundCount = async () =>
  (await app.database.query<{ n: number }>('select count(*)::int as n from inbound_events'))[0]?.n;

beforeAll(async () => {
  fake = await startFake360Dialog({
    apiKey: API_KEY,
    phoneNumberId: '300000000000001',
    displayPhoneNumber: '15550003333',
  });
  app = await startTestApp(
    {
      PUBLIC_URL,
      DIALOG360_API_ROOT: fake.url,
      TURN_DEBOUNCE_MS: 'whatsapp=0',
      CHANNEL_CONFIG_WRITES_PER_MINUTE: '1000',
      CHANNEL_TESTS_PER_MINUTE: '1000',
    },
    undefined,
    { engine: { responder: async (input) => ({ text: `Got _${input.pending.at(-1)?.content}_` }) } },
  );
  // 360dialog posts to the public URL; the fake reaches this process instead.
  fake.deliverTo = (url) => `${app.url}${new URL(url).pathname}`;
  ({ owner, orgId, projectId, agentId } = await createWorkspace(app, 'wa-360'));
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe('360dialog end to end', () => {
  it('sets up the webhook with a secret header, answers deliveries that carry it and refuses the rest', async () => {
    const put = await app.call('PUT', channelsPath(), {
      token: owner.token,
      body: {
        whatsapp: {
          enabled: true,
          provider: '360dialog',
          phone_number: '+15550003333',
          credentials: { api_key: API_KEY },
        },
      },
    });
    expect(put.status, put.text).toBe(200);
    // Before setup 360dialog has no webhook: the test says what is missing.
    const early = await app.call('POST', `${channelsPath()}/whatsapp/test`, { token: owner.token });
    expect(early.status).toBe(400);
    expect(early.body.details).toMatchObject({ api_key_valid: true, webhook_configured: false });

    const setup = await app.call('POST', `${channelsPath()}/whatsapp/webhook/setup`, {
      token: owner.token,
      body: {},
    });
    expect(setup.status, setup.text).toBe(200);
    const expectedUrl = `${PUBLIC_URL}/api/v1/channels/webhooks/whatsapp/${agentId}`;
    expect(setup.body.webhook_url).toBe(expectedUrl);
    expect(fake.webhook.url).toBe(expectedUrl);
    const registered = fake.webhook.headers[SECRET_HEADER];
    expect(registered).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    // The generated secret is never shown back.
    expect(JSON.stringify(setup.body)).not.toContain(registered);
    const view = await app.call('GET', channelsPath(), { token: owner.token });
    expect(JSON.stringify(view.body)).not.toContain(registered);

    const test = await app.call('POST', `${channelsPath()}/whatsapp/test`, { token: owner.token });
    expect(test.status, test.text).toBe(200);
    expect(test.body).toEqual({
      success: true,
      message: '360dialog connection test successful',
      details: { api_key_valid: true, webhook_configured: true, webhook_url: expectedUrl },
    });
    const info = await app.call('GET', `${channelsPath()}/whatsapp/webhook/info`, { token: owner.token });
    expect(info.body.webhook_info).toEqual({ url: expectedUrl, secret_header: SECRET_HEADER });

    const waId = '5511987654321';
    const value = fake.messageValue(
      { type: 'text', text: { body: 'Olá, tudo bem?' } },
      { waId, name: 'João' },
    );
    expect(await fake.emitChanges([{ value }])).toBe(200);
    const sent = await eventually(() => fake.sent.find((m) => m.to === waId));
    expect(sent.body).toMatchObject({
      to: waId,
      type: 'text',
      text: { body: 'Got _Olá, tudo bem?_', preview_url: false },
    });
    const d360 = fake.calls.find((c) => c.path === '/messages' && c.body?.to === waId);
    expect(d360?.status).toBe(200);

    const before = await inboundCount();
    fake.deliveryAttempts = 1;
    const saved = fake.webhook.headers;
    try {
      fake.webhook.headers = {};
      expect(await fake.emitChanges([{ value }])).toBe(401);
      fake.webhook.headers = { [SECRET_HEADER]: `${registered}x` };
      expect(await fake.emitChanges([{ value }])).toBe(401);
    } finally {
      fake.webhook.headers = saved;
      fake.deliveryAttempts = 5;
    }
    expect(await inboundCount()).toBe(before);
  });

  it('reports a revoked key in the connection test', async () => {
    fake.refuseCredentialOnce();
    const test = await app.call('POST', `${channelsPath()}/whatsapp/test`, { token: owner.token });
    expect(test.status).toBe(400);
    expect(test.body).toEqual({
      success: false,
      error: 'Failed to connect to 360dialog',
      details: 'Invalid API key',
    });
  });
});
