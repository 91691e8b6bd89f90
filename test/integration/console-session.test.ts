import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createWorkspace, type Workspace } from '../helpers/fixtures.ts';

/** The console's cookie session: httpOnly + SameSite cookies, CSRF double submit on writes, strict CSP page. */
describe('console session', () => {
  let app: TestApp;
  let ws: Workspace;

  beforeAll(async () => {
    app = await startTestApp();
    ws = await createWorkspace(app, 'console');
  });
  afterAll(() => app?.close());

  async function login(): Promise<{ session: string; csrf: string; setCookie: string[] }> {
    const res = await app.call('POST', '/api/v1/auth/console/login', {
      body: { email: ws.owner.email, password: ws.owner.password },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).not.toHaveProperty('token');
    const setCookie = res.headers.getSetCookie();
    const value = (name: string) =>
      setCookie
        .find((c) => c.startsWith(`${name}=`))
        ?.split(';')[0]
        ?.split('=')[1];
    return { session: value('sb_session') ?? '', csrf: value('sb_csrf') ?? '', setCookie };
  }

  const orgPath = () => `/api/v1/organizations/${ws.orgId}`;
  const cookieHeader = (s: { session: string; csrf: string }) => `sb_session=${s.session}; sb_csrf=${s.csrf}`;

  it('sets an httpOnly SameSite=Strict session cookie and a readable CSRF cookie', async () => {
    const { session, csrf, setCookie } = await login();
    expect(session.length).toBeGreaterThan(20);
    expect(csrf.length).toBeGreaterThan(20);
    const sessionCookie = setCookie.find((c) => c.startsWith('sb_session='));
    expect(sessionCookie).toMatch(/HttpOnly/i);
    expect(sessionCookie).toMatch(/SameSite=Strict/i);
    expect(sessionCookie).toMatch(/Path=\//);
    expect(setCookie.find((c) => c.startsWith('sb_csrf='))).not.toMatch(/HttpOnly/i);
  });

  it('reads with the cookie alone, and writes only with the matching X-CSRF-Token', async () => {
    const s = await login();
    const read = await app.call('GET', orgPath(), { headers: { cookie: cookieHeader(s) } });
    expect(read.status, read.text).toBe(200);

    const body = { name: 'Renamed by console' };
    const noHeader = await app.call('PUT', orgPath(), { body, headers: { cookie: cookieHeader(s) } });
    expect(noHeader.status).toBe(403);
    expect(noHeader.body.error).toMatch(/X-CSRF-Token/);
    const wrong = await app.call('PUT', orgPath(), {
      body,
      headers: { cookie: cookieHeader(s), 'x-csrf-token': `${s.csrf}x` },
    });
    expect(wrong.status).toBe(403);
    const ok = await app.call('PUT', orgPath(), {
      body,
      headers: { cookie: cookieHeader(s), 'x-csrf-token': s.csrf },
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.data.name).toBe('Renamed by console');
  });

  it('refuses a missing, forged or logged-out session cookie', async () => {
    const none = await app.call('GET', orgPath(), { headers: { cookie: 'sb_csrf=x' } });
    expect(none.status).toBe(401);
    const forged = await app.call('GET', orgPath(), {
      headers: { cookie: 'sb_session=eyJhbGciOiJub25lIn0.e30.' },
    });
    expect(forged.status).toBe(401);
    const out = await app.call('POST', '/api/v1/auth/console/logout', {});
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie().join('\n')).toMatch(/sb_session=;.*Max-Age=0/i);
  });

  it('answers a wrong password with the same 401 as the token login', async () => {
    const res = await app.call('POST', '/api/v1/auth/console/login', {
      body: { email: ws.owner.email, password: 'not-the-password' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('serves the console page with a strict CSP and its hashed, immutable assets', async () => {
    const page = await app.call('GET', '/console');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const scripts = [...page.text.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map(
      (m) => m[1] ?? '',
    );
    expect(scripts).toHaveLength(2);
    for (const asset of scripts) {
      const res = await app.call('GET', asset);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toContain('immutable');
      expect(res.text.length).toBeGreaterThan(100);
    }
    const unknown = await app.call('GET', '/console/assets/console.0000000000000000.js');
    expect(unknown.status).toBe(404);
  });
});
