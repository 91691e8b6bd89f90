import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresRateLimits } from '../../src/http/rate-limit-postgres.ts';
import type { RateLimit } from '../../src/http/rate-limit.ts';

const adminUrl = process.env.TEST_DATABASE_URL;

/** Runs where PostgreSQL is available (TEST_DATABASE_URL, as in CI). */
describe.runIf(adminUrl)('RATE_LIMIT_STORE=postgres', () => {
  const name = `sb_rl_${process.pid}`;
  let url = '';
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('shares one budget between two independent stores (two processes)', async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    await admin.end();
    const parsed = new URL(adminUrl as string);
    parsed.pathname = `/${name}`;
    url = parsed.toString();

    // Several stores create the same table at once, as processes starting together do.
    const stores = await Promise.all(Array.from({ length: 4 }, () => postgresRateLimits(url)));
    try {
      const [a, b] = stores.map((store) => store.factory('widget_visitor', 2, 60)) as [RateLimit, RateLimit];
      await Promise.all(stores.map((store) => store.ready()));
      await a.consume('visitor-1');
      await b.consume('visitor-1');
      const third = await b.consume('visitor-1').then(
        () => undefined,
        (error: { status?: number; headers?: Record<string, string> }) => error,
      );
      expect(third?.status).toBe(429);
      expect(Number(third?.headers?.['Retry-After'])).toBeGreaterThan(0);
      // Another key has its own budget.
      await expect(a.consume('visitor-2')).resolves.toBeUndefined();
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
