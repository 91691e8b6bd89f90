import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './app.ts';

export type TestUser = { id: string; email: string; token: string; password: string };

/** Registers a user through the API and returns its session token. */
export async function registerUser(app: TestApp, label = 'user'): Promise<TestUser> {
  const email = `${label}-${randomBytes(4).toString('hex')}@example.test`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const res = await app.call('POST', '/api/v1/auth/register', { body: { email, password, name: label } });
  expect(res.status, res.text).toBe(201);
  return { id: res.body.user._id, email, token: res.body.token, password };
}

/** Creates an organization owned by `owner`. */
export async function createOrg(app: TestApp, owner: TestUser, name = 'Org'): Promise<string> {
  const res = await app.call('POST', '/api/v1/organizations', { token: owner.token, body: { name } });
  expect(res.status, res.text).toBe(201);
  return res.body.data._id;
}

export async function createProject(
  app: TestApp,
  token: string,
  orgId: string,
  name = 'Project',
): Promise<string> {
  const res = await app.call('POST', `/api/v1/organizations/${orgId}/projects`, { token, body: { name } });
  expect(res.status, res.text).toBe(201);
  return res.body.data._id;
}

export async function createAgent(
  app: TestApp,
  token: string,
  orgId: string,
  projectId: string,
): Promise<string> {
  const res = await app.call('POST', `/api/v1/organizations/${orgId}/projects/${projectId}/agents`, {
    token,
    body: { name: 'Agent', system_prompt: 'Be helpful.' },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.data._id;
}

/** Adds an existing user to an organization with a role, acting as `admin`. */
export async function addMember(app: TestApp, admin: TestUser, orgId: string, user: TestUser, role: string) {
  const res = await app.call('POST', `/api/v1/organizations/${orgId}/members`, {
    token: admin.token,
    body: { email: user.email, role },
  });
  expect(res.status, res.text).toBe(201);
}
