import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';
import { listeningUrl, spawnServer, waitFor } from '../helpers/process.ts';
import { scratchDatabase } from '../helpers/database.ts';

const adminUrl = process.env.TEST_DATABASE_URL;

/** Runs only where CI provides PostgreSQL (TEST_DATABASE_URL); the embedded path is covered in first-run.test.ts. */
describe.runIf(adminUrl)('npm start on PostgreSQL', () => {
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  let databaseUrl = '';
  beforeAll(async () => {
    scratch = await scratchDatabase(adminUrl as string, 'sb_proc');
    databaseUrl = scratch.url;
  });
  afterAll(() => scratch?.drop());

  it('two processes starting together migrate once, bootstrap once and both serve', async () => {
    const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'sb-pg-')));
    const servers = dirs.map((dir) =>
      spawnServer({ DATA_DIR: dir, DATABASE_URL: databaseUrl, JWT_SECRET: 'x'.repeat(40) }),
    );
    try {
      const urls = await Promise.all(servers.map((server) => listeningUrl(server)));
      const banners = servers.filter((s) => s.stdout().includes('First run'));
      expect(banners).toHaveLength(1);
      const token = /API token\s+(sb_pat_\S+)/.exec(banners[0]?.stdout() ?? '')?.[1];
      for (const url of urls) {
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
        const res = await fetch(`${url}/api/v1/organizations`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(200);
      }
      const check = new pg.Client({ connectionString: databaseUrl });
      await check.connect();
      const users = await check.query('select count(*)::int as n from users');
      await check.end();
      expect(users.rows[0].n).toBe(1);
    } finally {
      for (const s of servers) s.child.kill('SIGKILL');
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  });

  /** A server whose DATABASE_URL names `port` on this machine, waiting `waitMs` for the database at start-up. */
  const startOnPort = (port: number, waitMs: number) => {
    const url = new URL(databaseUrl);
    url.port = String(port);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-pg-wait-'));
    const server = spawnServer({
      DATA_DIR: dir,
      DATABASE_URL: url.toString(),
      JWT_SECRET: 'x'.repeat(40),
      DATABASE_STARTUP_WAIT_MS: String(waitMs),
    });
    return { server, dir };
  };

  it('waits for a database that is not up yet instead of exiting, and serves once it is', async () => {
    // A port with nothing behind it (refused), then a TCP relay to the real server on that port.
    const port = await freePort();
    const target = new URL(databaseUrl);
    const { server, dir } = startOnPort(port, 120_000);
    const relay = net.createServer((socket) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    try {
      // Refused at least once (logged), still running: then the database comes up.
      await waitFor('a start-up retry', () => {
        if (server.child.exitCode !== null) throw new Error(`server exited: ${server.stderr()}`);
        return server.stdout().includes('database unavailable at start-up');
      });
      expect(server.child.exitCode).toBeNull();
      await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
      const url = await listeningUrl(server);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      server.child.kill('SIGKILL');
      relay.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 once the wait is over', async () => {
    const { server, dir } = startOnPort(await freePort(), 1500);
    try {
      expect(await server.exited).toBe(1);
      expect(server.stderr()).toContain('PostgreSQL refused the connection at DATABASE_URL');
      expect(server.stdout()).toContain('database unavailable at start-up');
    } finally {
      server.child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
