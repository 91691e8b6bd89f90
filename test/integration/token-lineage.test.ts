import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrg, registerUser, type TestUser } from '../helpers/fixtures.ts';

/** A token minted by another token cannot outlive it: revoked with it, expiring no later. */

let app: TestApp;
let owner: TestUser;
let orgId: string;

const mint = async (token: string, body: Record<string, unknown>) => {
  const res = await app.call('POST', `/api/v1/organizations/${orgId}/api-tokens`, { token, body });
  expect(res.status, res.text).toBe(201);
  return res.body.data as { _id: string; token: string; expires_at: string | null };
};
const works = async (token: string) =>
  (await app.call('GET', `/api/v1/organizations/${orgId}`, { token })).status === 200;

beforeAll(async () => {
  app = await startTestApp();
  owner = await registerUser(app, 'lineage');
  orgId = await createOrg(app, owner, 'Lineage');
});
afterAll(() => app?.close());

describe('organization tokens created by organization tokens', () => {
  it('die with their parent, grandchildren included, while tokens created by a session live on', async () => {
    const expiry = new Date(Date.now() + 86_400_000).toISOString();
    const parent = await mint(owner.token, { name: 'parent', role: 'admin', expires_at: expiry });
    const child = await mint(parent.token, { name: 'child', role: 'admin' });
    const grandchild = await mint(child.token, { name: 'grandchild', role: 'viewer' });
    const sibling = await mint(owner.token, { name: 'sibling', role: 'viewer' });
    // A child asking for no expiry, or a later one, gets its parent's.
    expect(child.expires_at).toBe(expiry);
    const later = await mint(parent.token, {
      name: 'later',
      role: 'viewer',
      expires_at: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    });
    expect(later.expires_at).toBe(expiry);
    expect(await Promise.all([child, grandchild, later].map((t) => works(t.token)))).toEqual([
      true,
      true,
      true,
    ]);

    const revoke = await app.call('DELETE', `/api/v1/organizations/${orgId}/api-tokens/${parent._id}`, {
      token: owner.token,
    });
    expect(revoke.status).toBe(200);
    expect(await Promise.all([parent, child, grandchild, later].map((t) => works(t.token)))).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(await works(sibling.token)).toBe(true);
  });
});
