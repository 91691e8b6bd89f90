import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { addMember, createAgent, createOrg, createProject, registerUser } from '../helpers/fixtures.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

describe('password change', () => {
  it('needs the current password, then cuts off every earlier session and returns a working one', async () => {
    const user = await registerUser(app, 'pw');
    const otherDevice = await app.call('POST', '/api/v1/auth/login', {
      body: { email: user.email, password: user.password },
    });
    const pat = await app.call('POST', '/api/v1/auth/api-tokens', {
      token: user.token,
      body: { name: 'cli' },
    });

    const wrong = await app.call('PUT', '/api/v1/auth/password', {
      token: user.token,
      body: { current_password: 'not-it-at-all', new_password: 'brand-new-password' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toContain('current_password');
    const short = await app.call('PUT', '/api/v1/auth/password', {
      token: user.token,
      body: { current_password: user.password, new_password: 'short' },
    });
    expect(short.status).toBe(400);
    expect(short.body.error).toContain('new_password');

    const changed = await app.call('PUT', '/api/v1/auth/password', {
      token: user.token,
      body: { current_password: user.password, new_password: 'brand-new-password' },
    });
    expect(changed.status).toBe(200);
    expect((await app.call('GET', '/api/v1/auth/profile', { token: user.token })).status).toBe(401);
    expect((await app.call('GET', '/api/v1/auth/profile', { token: otherDevice.body.token })).status).toBe(
      401,
    );
    expect((await app.call('GET', '/api/v1/auth/profile', { token: changed.body.token })).status).toBe(200);
    // API tokens are separate credentials with their own revocation: they keep working.
    expect((await app.call('GET', '/api/v1/auth/profile', { token: pat.body.data.token })).status).toBe(200);

    const oldLogin = await app.call('POST', '/api/v1/auth/login', {
      body: { email: user.email, password: user.password },
    });
    expect(oldLogin.status).toBe(401);
    const newLogin = await app.call('POST', '/api/v1/auth/login', {
      body: { email: user.email, password: 'brand-new-password' },
    });
    expect(newLogin.status).toBe(200);
  });

  it('is refused to organization tokens', async () => {
    const user = await registerUser(app, 'pw-org');
    const org = await createOrg(app, user);
    const tok = await app.call('POST', `/api/v1/organizations/${org}/api-tokens`, {
      token: user.token,
      body: { name: 'bot', role: 'owner' },
    });
    const res = await app.call('PUT', '/api/v1/auth/password', {
      token: tok.body.data.token,
      body: { current_password: user.password, new_password: 'brand-new-password' },
    });
    expect(res.status).toBe(403);
  });
});

describe('profile update', () => {
  it('changes the display name', async () => {
    const user = await registerUser(app, 'name');
    const res = await app.call('PUT', '/api/v1/auth/profile', {
      token: user.token,
      body: { name: 'Grace Hopper' },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.name).toBe('Grace Hopper');
    expect((await app.call('GET', '/api/v1/auth/profile', { token: user.token })).body.user.name).toBe(
      'Grace Hopper',
    );
  });
});

describe('organization deletion', () => {
  it('is for owners only and removes everything inside', async () => {
    const owner = await registerUser(app, 'del-owner');
    const admin = await registerUser(app, 'del-admin');
    const org = await createOrg(app, owner, 'Doomed');
    await addMember(app, owner, org, admin, 'admin');
    const project = await createProject(app, owner.token, org);
    const key = await app.call('POST', `/api/v1/organizations/${org}/projects/${project}/api-keys`, {
      token: owner.token,
      body: { name: 'k', provider: 'openai', key: 'sk-x' },
    });
    await app.call('POST', `/api/v1/organizations/${org}/projects/${project}/agents`, {
      token: owner.token,
      body: { name: 'a', llm_settings: { provider: 'openai', model: 'gpt-4o' }, api_key: key.body.data._id },
    });
    await createAgent(app, owner.token, org, project);
    const tok = await app.call('POST', `/api/v1/organizations/${org}/api-tokens`, {
      token: owner.token,
      body: { name: 't', role: 'viewer' },
    });

    expect((await app.call('DELETE', `/api/v1/organizations/${org}`, { token: admin.token })).status).toBe(
      403,
    );
    const del = await app.call('DELETE', `/api/v1/organizations/${org}`, { token: owner.token });
    expect(del.status).toBe(200);
    expect((await app.call('GET', `/api/v1/organizations/${org}`, { token: owner.token })).status).toBe(404);
    expect((await app.call('GET', '/api/v1/auth/profile', { token: tok.body.data.token })).status).toBe(401);
    const left = await app.database.query<{ n: number }>(
      `select (select count(*) from projects where organization_id = $1)
            + (select count(*) from agents where organization_id = $1)
            + (select count(*) from llm_keys where organization_id = $1)
            + (select count(*) from memberships where organization_id = $1)
            + (select count(*) from api_tokens where organization_id = $1) as n`,
      [org],
    );
    expect(Number(left[0]?.n)).toBe(0);
  });
});

describe('per-caller rate limit', () => {
  it('answers 429 with Retry-After once a token spends its minute, without touching other callers', async () => {
    const limited = await startTestApp({ API_RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const a = await registerUser(limited, 'rl-a');
      const b = await registerUser(limited, 'rl-b');
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++)
        statuses.push((await limited.call('GET', '/api/v1/auth/profile', { token: a.token })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const last = await limited.call('GET', '/api/v1/auth/profile', { token: a.token });
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last.body.error).toMatch(/^Too many requests/);
      expect((await limited.call('GET', '/api/v1/auth/profile', { token: b.token })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
