import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './app.ts';
import { randomSecret } from './secrets.ts';

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

/** Adds an existing user to an organization with a role: `admin` invites, the user accepts. */
export async function addMember(app: TestApp, admin: TestUser, orgId: string, user: TestUser, role: string) {
  const res = await app.call('POST', `/api/v1/organizations/${orgId}/members`, {
    token: admin.token,
    body: { email: user.email, role },
  });
  expect(res.status, res.text).toBe(201);
  const accepted = await app.call('POST', `/api/v1/auth/invitations/${res.body.data._id}/accept`, {
    token: user.token,
  });
  expect(accepted.status, accepted.text).toBe(200);
}

/** A fresh owner with an organization, a project and an agent in it. */
export type Workspace = { owner: TestUser; orgId: string; projectId: string; agentId: string };

export async function createWorkspace(app: TestApp, label = 'owner'): Promise<Workspace> {
  const owner = await registerUser(app, label);
  const orgId = await createOrg(app, owner);
  const projectId = await createProject(app, owner.token, orgId);
  const agentId = await createAgent(app, owner.token, orgId, projectId);
  return { owner, orgId, projectId, agentId };
}

/** Stores an openai-compatible project LLM key (a registered test secret) bound to `baseUrl`; returns its id. */
export async function createLlmKey(
  app: TestApp,
  ws: Workspace,
  baseUrl: string,
  name = 'fake',
): Promise<string> {
  const res = await app.call('POST', `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/api-keys`, {
    token: ws.owner.token,
    body: { name, provider: 'openai-compatible', base_url: baseUrl, key: randomSecret('sk-test-') },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.data._id;
}

/** Points the workspace's agent at an OpenAI-compatible server (the fake LLM) through a key bound to it, with `extra` agent fields. */
export async function useFakeLlm(
  app: TestApp,
  ws: Workspace,
  baseUrl: string,
  extra: { system_prompt?: string; llm_settings?: Record<string, unknown> } = {},
): Promise<void> {
  const res = await app.call(
    'PUT',
    `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}`,
    {
      token: ws.owner.token,
      body: {
        ...extra,
        api_key: await createLlmKey(app, ws, baseUrl),
        llm_settings: {
          provider: 'openai-compatible',
          model: 'fake',
          ...extra.llm_settings,
        },
      },
    },
  );
  expect(res.status, res.text).toBe(200);
}
