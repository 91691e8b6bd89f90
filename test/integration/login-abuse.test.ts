import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { registerUser, type TestUser } from '../helpers/fixtures.ts';

/** Password spraying and login floods, as an outsider would try them (client IPs set through a trusted proxy). */

let app: TestApp;
let victim: TestUser;

const login = (email: string, password: string, ip: string) =>
  app.call('POST', '/api/v1/auth/login', {
    body: { email, password },
    headers: { 'x-forwarded-for': ip },
  });

beforeAll(async () => {
  app = await startTestApp({
    TRUST_PROXY: 'true',
    LOGIN_ATTEMPTS_PER_IP_PER_10_MIN: '8',
    LOGIN_FAILURES_PER_10_MIN: '5',
    PASSWORD_HASH_CONCURRENCY: '2',
  });
  victim = await registerUser(app, 'victim');
});
afterAll(() => app?.close());

describe('login abuse', () => {
  it('throttles a password spray across many emails from one IP, while the owner still logs in from another IP', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      // A different email each time: the per-IP-and-email budget alone would never trip.
      const res = await login(`spray-${i}@example.test`, 'Summer2026!', '198.51.100.7');
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 8)).toEqual(Array(8).fill(401));
    expect(statuses.slice(8)).toEqual([429, 429]);
    const locked = await login(victim.email, victim.password, '198.51.100.7');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);

    const owner = await login(victim.email, victim.password, '203.0.113.20');
    expect(owner.status, owner.text).toBe(200);
    expect(owner.body.token).toEqual(expect.any(String));
  });

  it('locks one email from one IP after repeated failures, and the owner from another IP is unaffected', async () => {
    for (let i = 0; i < 5; i++) expect((await login(victim.email, 'wrong', '198.51.100.8')).status).toBe(401);
    expect((await login(victim.email, victim.password, '198.51.100.8')).status).toBe(429);
    expect((await login(victim.email, victim.password, '198.51.100.9')).status).toBe(200);
  });

  it('bounds concurrent password hashes: a burst gets 429 with Retry-After beyond the bound, never a slow queue', async () => {
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) => login(`burst-${i}@example.test`, 'x', `192.0.2.${i + 1}`)),
    );
    const statuses = burst.map((r) => r.status);
    expect(
      statuses.every((s) => s === 401 || s === 429),
      statuses.join(),
    ).toBe(true);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(2);
    const busy = burst.find((r) => r.status === 429);
    expect(busy?.headers.get('retry-after')).toBe('1');
    expect(busy?.body.error).toContain('retry');
    // Once the burst is over, logins hash again.
    expect((await login(victim.email, victim.password, '192.0.2.200')).status).toBe(200);
  });
});
