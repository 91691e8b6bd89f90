import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { fixtureResolver } from '../helpers/dns-zone.ts';
import { configureEmail, postMail, simpleMail } from '../helpers/email.ts';
import { addMember, createWorkspace, registerUser, type Workspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';

let app: TestApp;
let ws: Workspace;
let secret: string;
const answered: string[] = [];

beforeAll(async () => {
  app = await startTestApp({ TURN_DEBOUNCE_MS: 'email=0' }, undefined, {
    engine: {
      responder: async (input) => {
        answered.push(...input.pending.map((m) => m.content));
        return { text: 'Thanks!' };
      },
    },
    dnsResolver: fixtureResolver({}),
  });
  ws = await createWorkspace(app, 'mail-inbound');
  secret = await configureEmail(app, ws, { smtp_config: { host: 'smtp.shop.example', port: 587 } });
});

afterAll(async () => {
  await app?.close();
});

const rawCount = async () =>
  Number((await app.database.query<{ n: string }>('select count(*) as n from raw_mails'))[0]?.n);

describe('raw MIME inbound route', () => {
  const mail = simpleMail({
    from: 'Ana Lima <ana@customer.example>',
    subject: 'Order question',
    messageId: '<first-1@customer.example>',
    body: 'Where is my order?',
  });

  it('answers 401 and stores nothing without the inbound secret, with a wrong one, or the wrong user', async () => {
    expect((await postMail(app, ws.agentId, mail)).status).toBe(401);
    expect((await postMail(app, ws.agentId, mail, { secret: `${secret}x` })).status).toBe(401);
    expect((await postMail(app, ws.agentId, mail, { secret, user: 'admin' })).status).toBe(401);
    expect((await postMail(app, ws.agentId, mail, { header: 'nope' })).status).toBe(401);
    expect(await rawCount()).toBe(0);
  });

  it('rejects a body that is not message/rfc822 with 415', async () => {
    const res = await fetch(`${app.url}/api/v1/channels/webhooks/email/${ws.agentId}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-inbound-secret': secret },
      body: mail,
    });
    expect(res.status).toBe(415);
    expect(await rawCount()).toBe(0);
  });

  it('records the mail durably, dedupes a redelivery on Message-ID, and the agent answers it once', async () => {
    const first = await postMail(app, ws.agentId, mail, { secret });
    expect(first).toMatchObject({ status: 200, body: { success: true, duplicate: false } });
    const again = await postMail(app, ws.agentId, mail, { header: secret });
    expect(again).toMatchObject({ status: 200, body: { success: true, duplicate: true } });
    expect(await rawCount()).toBe(1);
    const row = await eventually(async () => {
      const rows = await app.database.query<{ status: string; verdict: { dkim: string } }>(
        `select status, verdict from raw_mails where status <> 'pending'`,
      );
      return rows[0];
    }, 15_000);
    expect(row.status).toBe('accepted');
    expect(row.verdict.dkim).toBe('none');
    await eventually(() => answered.length > 0 || undefined, 15_000);
    expect(answered).toEqual(['Where is my order?']);
  });
});

describe('email webhook info', () => {
  it('shows members the inbound URL with credentials ready to paste, which the route accepts', async () => {
    const path = `/api/v1/channels/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/channels/email/webhook/info`;
    const res = await app.call('GET', path, { token: ws.owner.token });
    expect(res.status, res.text).toBe(200);
    const info = res.body.webhook_info;
    expect(info).toMatchObject({
      basic_auth_user: 'inbound',
      secret_header: 'x-inbound-secret',
      content_type: 'message/rfc822',
      max_bytes: 25 * 1024 * 1024,
      imap: null,
    });
    const url = new URL(info.url);
    expect(url.username).toBe('inbound');
    expect(decodeURIComponent(url.password)).toBe(secret);
    expect(`${url.origin}${url.pathname}`).toBe(info.url_without_credentials);
    const mail = simpleMail({
      from: 'info@customer.example',
      subject: 'Via the pasted URL',
      messageId: '<pasted-1@customer.example>',
      body: 'Hi',
    });
    const posted = await postMail(app, ws.agentId, mail, { secret: decodeURIComponent(url.password) });
    expect(posted).toMatchObject({ status: 200, body: { duplicate: false } });

    const viewer = await registerUser(app, 'mail-viewer');
    await addMember(app, ws.owner, ws.orgId, viewer, 'viewer');
    expect((await app.call('GET', path, { token: viewer.token })).status).toBe(403);
  });
});
