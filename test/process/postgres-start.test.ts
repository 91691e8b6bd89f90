import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningUrl, spawnServer } from '../helpers/process.ts';
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
});
