import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLlmKeySecret } from '../../src/platform/llm-keys.ts';
import { secret as registerSecret } from '../helpers/secrets.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrg, createProject, registerUser, type TestUser } from '../helpers/fixtures.ts';

let app: TestApp;
let owner: TestUser;
let orgId: string;
let projectId: string;
const base = () => `/api/v1/organizations/${orgId}/projects/${projectId}`;

beforeAll(async () => {
  app = await startTestApp({ BODY_LIMIT_BYTES: '4096' });
  owner = await registerUser(app, 'res');
  orgId = await createOrg(app, owner, 'Res Org');
  projectId = await createProject(app, owner.token, orgId, 'Res Project');
});
afterAll(() => app?.close());

describe('organizations and projects', () => {
  it('creates, reads, updates and lists with prefixed ids and pagination', async () => {
    const org = await app.call('GET', `/api/v1/organizations/${orgId}`, { token: owner.token });
    expect(org.body.data).toMatchObject({ _id: orgId, name: 'Res Org', role: 'owner' });
    const upd = await app.call('PUT', `/api/v1/organizations/${orgId}`, {
      token: owner.token,
      body: { description: 'hello' },
    });
    expect(upd.body.data).toMatchObject({ name: 'Res Org', description: 'hello' });

    for (let i = 0; i < 3; i++) await createProject(app, owner.token, orgId, `P${i}`);
    const page1 = await app.call('GET', `/api/v1/organizations/${orgId}/projects?limit=2&page=1`, {
      token: owner.token,
    });
    const page2 = await app.call('GET', `/api/v1/organizations/${orgId}/projects?limit=2&page=2`, {
      token: owner.token,
    });
    expect(page1.body.pagination).toEqual({ page: 1, limit: 2, total: 4 });
    expect(page1.body.data.map((p: any) => p.name)).toEqual(['P2', 'P1']);
    expect(page2.body.data.map((p: any) => p.name)).toEqual(['P0', 'Res Project']);
    expect(page1.body.data[0]._id).toMatch(/^proj_/);
  });

  it('bounds list sizes: limit over 100 is a 400 naming limit', async () => {
    const res = await app.call('GET', `/api/v1/organizations/${orgId}/projects?limit=1000`, {
      token: owner.token,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^Invalid query: limit:/);
  });

  it('deletes a project with its agents and keys', async () => {
    const pid = await createProject(app, owner.token, orgId, 'Doomed');
    const key = await app.call('POST', `/api/v1/organizations/${orgId}/projects/${pid}/api-keys`, {
      token: owner.token,
      body: { name: 'k', provider: 'openai', key: 'sk-doomed' },
    });
    await app.call('POST', `/api/v1/organizations/${orgId}/projects/${pid}/agents`, {
      token: owner.token,
      body: {
        name: 'a',
        llm_settings: { provider: 'openai', model: 'gpt-4o-mini' },
        api_key: key.body.data._id,
      },
    });
    const del = await app.call('DELETE', `/api/v1/organizations/${orgId}/projects/${pid}`, {
      token: owner.token,
    });
    expect(del.status).toBe(200);
    expect(
      (await app.call('GET', `/api/v1/organizations/${orgId}/projects/${pid}`, { token: owner.token }))
        .status,
    ).toBe(404);
    const left = await app.database.query<{ n: number }>(
      'select (select count(*) from agents where project_id = $1)::int + (select count(*) from llm_keys where project_id = $1)::int as n',
      [pid],
    );
    expect(left[0]?.n).toBe(0);
  });
});

describe('agents', () => {
  it('creates with defaults, updates with a merged llm_settings, and deletes', async () => {
    const created = await app.call('POST', `${base()}/agents`, {
      token: owner.token,
      body: { name: 'Helper', system_prompt: 'On WhatsApp use emojis.' },
    });
    expect(created.status).toBe(201);
    const agent = created.body.data;
    expect(agent._id).toMatch(/^agent_/);
    expect(agent).toMatchObject({
      organization: orgId,
      project: projectId,
      status: 'active',
      llm_settings: { provider: 'dev', model: 'dev', parameters: {} },
      api_key: null,
    });

    const upd1 = await app.call('PUT', `${base()}/agents/${agent._id}`, {
      token: owner.token,
      body: { llm_settings: { provider: 'openai', model: 'gpt-4o-mini', parameters: { temperature: 0.2 } } },
    });
    expect(upd1.status).toBe(200);
    const upd2 = await app.call('PUT', `${base()}/agents/${agent._id}`, {
      token: owner.token,
      body: { status: 'inactive', llm_settings: { parameters: { max_tokens: 500 } } },
    });
    expect(upd2.body.data).toMatchObject({
      name: 'Helper',
      system_prompt: 'On WhatsApp use emojis.',
      status: 'inactive',
      llm_settings: {
        provider: 'openai',
        model: 'gpt-4o-mini',
        parameters: { temperature: 0.2, max_tokens: 500 },
      },
    });
    const list = await app.call('GET', `${base()}/agents`, { token: owner.token });
    expect(list.body.data.map((a: any) => a._id)).toContain(agent._id);
    const del = await app.call('DELETE', `${base()}/agents/${agent._id}`, { token: owner.token });
    expect(del.status).toBe(200);
    expect((await app.call('GET', `${base()}/agents/${agent._id}`, { token: owner.token })).status).toBe(404);
  });

  it.each([
    [{ name: '' }, 'name'],
    [{ name: 'x', status: 'sleeping' }, 'status'],
    [{ name: 'x', llm_settings: { provider: 'skynet', model: 'm' } }, 'llm_settings.provider'],
    [
      { name: 'x', llm_settings: { provider: 'openai', model: 'm', parameters: { temperature: 5 } } },
      'llm_settings.parameters.temperature',
    ],
    [
      { name: 'x', llm_settings: { provider: 'openai', model: 'm', base_url: 'ftp://x' } },
      'llm_settings.base_url',
    ],
    [
      { name: 'x', llm_settings: { provider: 'openai-compatible', model: 'llama3' } },
      'llm_settings.base_url',
    ],
    [{ name: 'x', api_key: 'llmkey_nope' }, 'api_key'],
  ])('rejects %j with a 400 naming %s', async (body, field) => {
    const res = await app.call('POST', `${base()}/agents`, { token: owner.token, body });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain(`${field}:`);
  });
});

describe('project LLM keys', () => {
  it('stores the key, never returns it, and lets agents reference it only for the same provider', async () => {
    const secret = registerSecret('sk-live-abcdefghijklmnop');
    const created = await app.call('POST', `${base()}/api-keys`, {
      token: owner.token,
      body: { name: 'OpenAI prod', provider: 'openai', key: secret },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ name: 'OpenAI prod', provider: 'openai', project: projectId });
    expect(created.text).not.toContain(secret);
    const list = await app.call('GET', `${base()}/api-keys`, { token: owner.token });
    expect(list.body.data).toHaveLength(1);
    expect(list.text).not.toContain(secret);
    expect(
      (await readLlmKeySecret(app.database.db, app.vault, projectId, created.body.data._id))?.secret,
    ).toBe(secret);
    expect(
      await readLlmKeySecret(app.database.db, app.vault, 'proj_other', created.body.data._id),
    ).toBeUndefined();
    const [stored] = await app.database.query<{ secret: string }>('select secret from llm_key_secrets');
    expect(stored?.secret).toMatch(/^v1:[0-9a-f]{12}:/);
    expect(stored?.secret).not.toContain(secret);

    const mismatch = await app.call('POST', `${base()}/agents`, {
      token: owner.token,
      body: {
        name: 'a',
        llm_settings: { provider: 'anthropic', model: 'claude' },
        api_key: created.body.data._id,
      },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error).toContain('api_key');
    const agent = await app.call('POST', `${base()}/agents`, {
      token: owner.token,
      body: {
        name: 'a',
        llm_settings: { provider: 'openai', model: 'gpt-4o' },
        api_key: created.body.data._id,
      },
    });
    expect(agent.status).toBe(201);
    expect(agent.body.data.api_key).toBe(created.body.data._id);
    expect(agent.text).not.toContain(secret);

    const inUse = await app.call('DELETE', `${base()}/api-keys/${created.body.data._id}`, {
      token: owner.token,
    });
    expect(inUse.status).toBe(409);
    await app.call('PUT', `${base()}/agents/${agent.body.data._id}`, {
      token: owner.token,
      body: { api_key: null },
    });
    const del = await app.call('DELETE', `${base()}/api-keys/${created.body.data._id}`, {
      token: owner.token,
    });
    expect(del.status).toBe(200);
  });
});

describe('HTTP contract', () => {
  it('answers malformed JSON with 400 and the parse error', async () => {
    const res = await app.call('POST', '/api/v1/organizations', {
      token: owner.token,
      rawBody: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.success).toBe(false);
    expect(res.body.error).toMatch(/^Malformed JSON in request body: .+/);
  });

  it('answers a non-JSON body with 415', async () => {
    const res = await app.call('POST', '/api/v1/organizations', {
      token: owner.token,
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
    expect(res.body.error).toContain('application/json');
  });

  it('answers a body over BODY_LIMIT_BYTES with 413, declared or streamed', async () => {
    const big = JSON.stringify({ name: 'x', description: 'y'.repeat(5000) });
    const declared = await app.call('POST', '/api/v1/organizations', {
      token: owner.token,
      rawBody: big,
      headers: { 'content-type': 'application/json' },
    });
    expect(declared.status).toBe(413);
    expect(declared.body).toEqual({
      success: false,
      error: 'Request body too large; the limit is 4096 bytes',
    });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const res = await fetch(`${app.url}/api/v1/organizations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('answers unknown routes with a JSON 404 and invalid path ids with 404', async () => {
    const res = await app.call('GET', '/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ success: false, error: 'No route for GET /nope' });
    const agent = await app.call('GET', `${base()}/agents/agent_doesnotexist`, { token: owner.token });
    expect(agent.status).toBe(404);
    expect(agent.body.error).toBe('Agent not found');
  });

  it('serves health, readiness, the OpenAPI 3.1 document and the docs page', async () => {
    expect((await app.call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await app.call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    const doc = await app.call('GET', '/api/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.body.paths);
    for (const p of [
      '/api/v1/auth/register',
      '/api/v1/auth/login',
      '/api/v1/auth/profile',
      '/api/v1/organizations',
      '/api/v1/organizations/{orgId}',
      '/api/v1/organizations/{orgId}/members',
      '/api/v1/organizations/{orgId}/members/{userId}',
      '/api/v1/organizations/{orgId}/api-tokens',
      '/api/v1/organizations/{orgId}/projects/{projectId}',
      '/api/v1/organizations/{orgId}/projects/{projectId}/agents/{agentId}',
      '/api/v1/organizations/{orgId}/projects/{projectId}/api-keys',
    ]) {
      expect(paths).toContain(p);
    }
    expect(doc.body.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
    const docs = await fetch(`${app.url}/docs`);
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(await docs.text()).toContain('/docs/assets/swagger-ui-bundle.js');
    const bundle = await fetch(`${app.url}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    expect((await fetch(`${app.url}/docs/assets/package.json`)).status).toBe(404);
  });

  it('reports not ready when migrations are missing', async () => {
    await app.database.query('delete from drizzle.__drizzle_migrations');
    const res = await app.call('GET', '/readyz');
    expect(res.status).toBe(503);
    expect(res.body.reason).toMatch(/migrations applied 0 of \d+/);
  });

  it('never writes a bearer token, password or LLM key into the logs', async () => {
    const all = app.logs.join('\n');
    expect(app.logs.length).toBeGreaterThan(20);
    expect(all).not.toContain(owner.token);
    expect(all).not.toContain(owner.password);
    expect(all).not.toContain('sk-live-abcdefghijklmnop');
    expect(all).not.toContain('sk-doomed');
  });
});
