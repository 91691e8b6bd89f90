import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startWhenDatabaseIsUp } from '../../src/db/startup-wait.ts';
import { isDatabaseUnavailable } from '../../src/db/unavailable.ts';
import { freePort } from '../helpers/free-port.ts';
import { captureLogger } from '../helpers/logs.ts';

/** The error node-postgres gives for a port nothing listens on. */
async function refusedError(): Promise<unknown> {
  const client = new pg.Client({ host: '127.0.0.1', port: await freePort(), user: 'x', database: 'x' });
  return client.connect().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('isDatabaseUnavailable', () => {
  it('tells a database that is down or restarting from a statement that is wrong', async () => {
    expect(isDatabaseUnavailable(await refusedError())).toBe(true);
    // What PostgreSQL answers while it shuts down or starts up, and a dropped connection.
    for (const code of ['57P01', '57P03', '08006', '53300'])
      expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code })), code).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isDatabaseUnavailable(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })])),
    ).toBe(true);
    // Wrong SQL, a missing database, bad credentials, a full disk: waiting fixes none of them.
    for (const code of ['42601', '3D000', '28P01', '53100'])
      expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code })), code).toBe(false);
    expect(isDatabaseUnavailable(new Error('relation "x" does not exist'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

describe('startWhenDatabaseIsUp', () => {
  const unavailable = () => Object.assign(new Error('the database system is starting up'), { code: '57P03' });

  it('retries while the database is unavailable, with growing pauses, and returns once it starts', async () => {
    const { logger, lines } = captureLogger('warn');
    const pauses: number[] = [];
    let attempts = 0;
    const started = await startWhenDatabaseIsUp(
      async () => {
        attempts++;
        if (attempts < 4) throw unavailable();
        return 'running';
      },
      { waitMs: 60_000, logger, sleep: async (ms) => void pauses.push(ms) },
    );
    expect(started).toBe('running');
    expect(pauses).toEqual([250, 500, 1000]);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('database unavailable at start-up');
  });

  it('throws any other error at once, and an unavailable one once the wait is spent', async () => {
    const { logger } = captureLogger('warn');
    let attempts = 0;
    const wrong = Object.assign(new Error('syntax error'), { code: '42601' });
    await expect(
      startWhenDatabaseIsUp(
        async () => {
          attempts++;
          throw wrong;
        },
        { waitMs: 60_000, logger, sleep: async () => {} },
      ),
    ).rejects.toBe(wrong);
    expect(attempts).toBe(1);
    // No wait (the embedded database, or DATABASE_STARTUP_WAIT_MS=0): the first failure stands.
    attempts = 0;
    await expect(
      startWhenDatabaseIsUp(
        async () => {
          attempts++;
          throw unavailable();
        },
        { waitMs: 0, logger, sleep: async () => {} },
      ),
    ).rejects.toMatchObject({ code: '57P03' });
    expect(attempts).toBe(1);
  });
});
