import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invitations } from '../../src/db/schema.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrg, registerUser, type TestUser } from '../helpers/fixtures.ts';

/** Adding a member by email is an invitation the person must accept; it reveals nothing about who is registered. */

let app: TestApp;
let owner: TestUser;
let orgId: string;

const invite = (email: string, role = 'member', token = owner.token) =>
  app.call('POST', `/api/v1/organizations/${orgId}/members`, { token, body: { email, role } });
const memberIds = async () =>
  (await app.call('GET', `/api/v1/organizations/${orgId}/members`, { token: owner.token })).body.data.map(
    (m: { user_id: string }) => m.user_id,
  );

beforeAll(async () => {
  app = await startTestApp();
  owner = await registerUser(app, 'inviter');
  orgId = await createOrg(app, owner, 'Inviting');
});
afterAll(() => app?.close());

describe('member invitations', () => {
  it('answers the same for a registered and an unknown email, and adds nobody until accepted', async () => {
    const known = await registerUser(app, 'invitee');
    const a = await invite(known.email);
    const b = await invite('nobody-here@example.test');
    expect([a.status, b.status]).toEqual([201, 201]);
    const shape = (r: typeof a) => ({
      ...r.body,
      data: { ...r.body.data, _id: 'x', email: 'x', expires_at: 'x', created_at: 'x' },
    });
    expect(shape(a)).toEqual(shape(b));
    expect(a.body.data.status).toBe('pending');
    expect(await memberIds()).not.toContain(known.id);
    // The invitee is not in the organization yet.
    expect((await app.call('GET', `/api/v1/organizations/${orgId}`, { token: known.token })).status).toBe(
      404,
    );

    const pending = await app.call('GET', `/api/v1/organizations/${orgId}/invitations`, {
      token: owner.token,
    });
    expect(pending.body.data.map((i: { email: string }) => i.email).sort()).toEqual(
      [known.email, 'nobody-here@example.test'].sort(),
    );

    const mine = await app.call('GET', '/api/v1/auth/invitations', { token: known.token });
    expect(mine.body.data).toEqual([
      expect.objectContaining({ _id: a.body.data._id, organization_name: 'Inviting', role: 'member' }),
    ]);
    const accepted = await app.call('POST', `/api/v1/auth/invitations/${a.body.data._id}/accept`, {
      token: known.token,
    });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.data).toEqual({ organization: orgId, role: 'member' });
    expect(await memberIds()).toContain(known.id);
    expect((await app.call('GET', `/api/v1/organizations/${orgId}`, { token: known.token })).status).toBe(
      200,
    );
  });

  it('cannot be accepted by someone else, once expired, or twice; a declined or cancelled one is gone', async () => {
    const target = await registerUser(app, 'target');
    const thief = await registerUser(app, 'thief');
    const inv = (await invite(target.email, 'admin')).body.data._id as string;
    const stolen = await app.call('POST', `/api/v1/auth/invitations/${inv}/accept`, { token: thief.token });
    expect(stolen.status).toBe(404);

    await app.database.db.update(invitations).set({ expiresAt: new Date(Date.now() - 1000) });
    const expired = await app.call('POST', `/api/v1/auth/invitations/${inv}/accept`, { token: target.token });
    expect(expired.status).toBe(404);
    const listed = await app.call('GET', `/api/v1/organizations/${orgId}/invitations`, {
      token: owner.token,
    });
    expect(listed.body.data.find((i: { _id: string }) => i._id === inv)?.status).toBe('expired');

    // Inviting again renews it.
    const renewed = await invite(target.email, 'viewer');
    expect(renewed.body.data._id).toBe(inv);
    const declined = await app.call('POST', `/api/v1/auth/invitations/${inv}/decline`, {
      token: target.token,
    });
    expect(declined.status).toBe(200);
    expect(
      (await app.call('POST', `/api/v1/auth/invitations/${inv}/accept`, { token: target.token })).status,
    ).toBe(404);
    expect(await memberIds()).not.toContain(target.id);

    const again = (await invite(target.email)).body.data._id as string;
    const cancel = await app.call('DELETE', `/api/v1/organizations/${orgId}/invitations/${again}`, {
      token: owner.token,
    });
    expect(cancel.status).toBe(200);
    expect(
      (await app.call('POST', `/api/v1/auth/invitations/${again}/accept`, { token: target.token })).status,
    ).toBe(404);
  });

  it('is for admins, never above their own role, and says so for an existing member', async () => {
    const admin = await registerUser(app, 'inv-admin');
    const inv = (await invite(admin.email, 'admin')).body.data._id as string;
    await app.call('POST', `/api/v1/auth/invitations/${inv}/accept`, { token: admin.token });
    expect((await invite('x@example.test', 'owner', admin.token)).status).toBe(403);
    expect((await invite(admin.email, 'viewer')).status).toBe(409);
    const member = await registerUser(app, 'inv-member');
    const m = (await invite(member.email, 'member')).body.data._id as string;
    await app.call('POST', `/api/v1/auth/invitations/${m}/accept`, { token: member.token });
    expect((await invite('y@example.test', 'viewer', member.token)).status).toBe(403);
  });
});
