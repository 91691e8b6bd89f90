import { createHmac } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VisitorTokens } from '../../src/widget/visitor-tokens.ts';
import { widgetSecretTag } from '../../src/widget/access.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWorkspace, type Workspace } from '../helpers/fixtures.ts';
import { randomSecret } from '../helpers/secrets.ts';

/** Verified widget identities end: 30 days after the original verification, and when widget_secret changes. */

const DAY = 86_400;
let app: TestApp;
let ws: Workspace;
let secret = randomSecret('widget-secret-');
/** Signs tokens with the app's own visitor-token key, to stand in for tokens issued days ago. */
let minter: VisitorTokens;

const channels = () =>
  `/api/v1/channels/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/channels`;
const session = (body: Record<string, unknown>) =>
  app.call('POST', `/api/v1/widget/${ws.agentId}/session`, { body });
const send = (token: string) =>
  app.call('POST', `/api/v1/widget/${ws.agentId}/messages`, {
    body: { message: 'hello' },
    headers: { authorization: `Bearer ${token}` },
  });
const setSecret = async (value: string) => {
  const res = await app.call('PUT', channels(), {
    token: ws.owner.token,
    body: { website: { enabled: true, widget_secret: value } },
  });
  expect(res.status, res.text).toBe(200);
  secret = value;
};
const verify = async (identifier: string) => {
  const res = await session({
    user_identifier: identifier,
    user_hash: createHmac('sha256', secret).update(identifier).digest('hex'),
  });
  expect(res.status, res.text).toBe(200);
  expect(res.body.data.verified).toBe(true);
  return res.body.data.token as string;
};

beforeAll(async () => {
  app = await startTestApp({ VISITOR_TOKEN_TTL: '3600' });
  ws = await createWorkspace(app, 'widget-id');
  await setSecret(secret);
  minter = new VisitorTokens(app.sessions.derivedKey('switchboard widget visitor tokens v1'), 3600);
});
afterAll(() => app?.close());

describe('verified widget visitor tokens', () => {
  it('carry the original verification time through refreshes, and stop refreshing 30 days after it', async () => {
    const first = await verify('carry@example.com');
    const verifiedAt = decodeJwt(first).vat as number;
    expect(verifiedAt).toBeGreaterThan(Date.now() / 1000 - 60);
    const refreshed = await session({ visitor_token: first });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.body.data.verified).toBe(true);
    expect(decodeJwt(refreshed.body.data.token).vat).toBe(verifiedAt);

    const now = Math.floor(Date.now() / 1000);
    const visitor = { agentId: ws.agentId, visitorId: 'visitor_old', verifiedIdentifier: 'old@example.com' };
    // Issued (refreshed) just now, but verified 29 and 31 days ago.
    const recent = await minter.sign({
      ...visitor,
      verifiedAt: now - 29 * DAY,
      secretTag: widgetSecretTag(secret),
    });
    const stale = await minter.sign({
      ...visitor,
      verifiedAt: now - 31 * DAY,
      secretTag: widgetSecretTag(secret),
    });
    const ok = await session({ visitor_token: recent.token });
    expect(ok.status, ok.text).toBe(200);
    expect(decodeJwt(ok.body.data.token).vat).toBe(now - 29 * DAY);
    const tooOld = await session({ visitor_token: stale.token });
    expect(tooOld.status).toBe(401);
  });

  it('die when widget_secret changes (use and refresh), while unverified visitors carry on', async () => {
    const verified = await verify('rotate@example.com');
    const anonymous = await session({});
    expect((await send(verified)).status).toBe(200);

    await setSecret(randomSecret('widget-secret-'));
    const used = await send(verified);
    expect(used.status).toBe(401);
    expect(used.body.error).toContain('secret changed');
    expect((await session({ visitor_token: verified })).status).toBe(401);
    expect((await send(anonymous.body.data.token)).status).toBe(200);
    // Verifying again under the new secret works.
    expect((await send(await verify('rotate@example.com'))).status).toBe(200);
  });

  it('verify again even while the widget still holds a token the server refuses (rotated secret, too old)', async () => {
    // The widget sends its stored token with every identify() call; a fresh, valid user_hash must win over it.
    const hashOf = (identifier: string) => createHmac('sha256', secret).update(identifier).digest('hex');
    const held = await verify('again@example.com');
    await setSecret(randomSecret('widget-secret-'));
    const rotated = await session({
      visitor_token: held,
      user_identifier: 'again@example.com',
      user_hash: hashOf('again@example.com'),
    });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.data.verified).toBe(true);
    expect(decodeJwt(held).sub).toBe(rotated.body.data.visitor_id);
    expect((await send(rotated.body.data.token)).status).toBe(200);

    const now = Math.floor(Date.now() / 1000);
    const stale = await minter.sign({
      agentId: ws.agentId,
      visitorId: 'visitor_stale',
      verifiedIdentifier: 'again@example.com',
      verifiedAt: now - 31 * DAY,
      secretTag: widgetSecretTag(secret),
    });
    const tooOld = await session({
      visitor_token: stale.token,
      user_identifier: 'again@example.com',
      user_hash: hashOf('again@example.com'),
    });
    expect(tooOld.status, tooOld.text).toBe(200);
    expect(tooOld.body.data.verified).toBe(true);
    expect(decodeJwt(tooOld.body.data.token).vat).toBeGreaterThan(now - 60);
    // A wrong hash still refuses, token or not.
    const forged = await session({
      visitor_token: stale.token,
      user_identifier: 'again@example.com',
      user_hash: 'ab'.repeat(32),
    });
    expect(forged.status).toBe(401);
  });
});
