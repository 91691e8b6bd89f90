import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listeningUrl, waitFor } from '../helpers/process.ts';
import { api, serverRuns } from '../helpers/server-runs.ts';

// Every server here still makes its first run (bootstrap, credentials, banner) but on an already migrated
// database: initdb and the migrations on an empty DATA_DIR are first-run.test.ts's subject.
const { start, migratedDataDir } = serverRuns();

describe('SIGKILL under write load', () => {
  it('loses no acknowledged write on the embedded database', async () => {
    const dataDir = migratedDataDir();
    const first = start({ DATA_DIR: dataDir });
    const url = await listeningUrl(first);
    const token = /API token\s+(sb_pat_\S+)/.exec(first.stdout())?.[1] as string;
    const orgId = /Organization\s+(org_\S+)/.exec(first.stdout())?.[1] as string;
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop && i < 5000; i++) {
        try {
          const res = await api(url, token, 'POST', `/api/v1/organizations/${orgId}/projects`, {
            name: `p-${w}-${i}`,
          });
          if (res.status === 201) acknowledged.push(res.body.data._id);
        } catch {
          return; // The server died mid-request: that write was never acknowledged.
        }
      }
    };
    const writers = [1, 2, 3, 4].map(writer);
    // Kill once enough writes were acknowledged (progress, not a fixed delay).
    await waitFor('acknowledged writes', () => acknowledged.length > 30);
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.allSettled(writers);
    expect(acknowledged.length).toBeGreaterThan(20);

    const second = start({ DATA_DIR: dataDir });
    const url2 = await listeningUrl(second);
    const stored = new Set<string>();
    for (let page = 1; page <= 200; page++) {
      const res = await api(
        url2,
        token,
        'GET',
        `/api/v1/organizations/${orgId}/projects?limit=100&page=${page}`,
      );
      for (const p of res.body.data) stored.add(p._id);
      if (res.body.data.length < 100) break;
    }
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });
});

describe('a first start that fails after bootstrapping', () => {
  it('keeps the generated credentials on disk, so a busy port never locks the owner out', async () => {
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busyPort = String((blocker.address() as { port: number }).port);
    const dataDir = migratedDataDir();
    try {
      const failed = start({ DATA_DIR: dataDir, PORT: busyPort });
      expect(await failed.exited).toBe(1);
      expect(failed.stderr()).toContain(
        `Switchboard could not start: port ${busyPort} on 127.0.0.1 is already in use`,
      );
    } finally {
      blocker.close();
    }
    const saved = fs.readFileSync(path.join(dataDir, 'first-run-credentials.txt'), 'utf8');
    const password = /login_password=(\S+)/.exec(saved)?.[1];
    const token = /api_token=(\S+)/.exec(saved)?.[1] as string;

    const retry = start({ DATA_DIR: dataDir });
    const url = await listeningUrl(retry);
    expect(retry.stdout()).not.toContain('First run');
    expect(retry.stdout()).toContain('first-run credentials are still on disk');
    expect(retry.stdout()).not.toContain(token);
    expect((await api(url, token, 'GET', '/api/v1/auth/profile')).status).toBe(200);
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@switchboard.local', password }),
    });
    expect(login.status).toBe(200);
  });
});

describe('a first start in production', () => {
  it('prints where the 0600 credentials file is, never the password or the token', async () => {
    const { randomBytes } = await import('node:crypto');
    const dataDir = migratedDataDir();
    const server = start({
      DATA_DIR: dataDir,
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(32).toString('hex'),
      CHANNEL_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    const url = await listeningUrl(server);
    const file = path.join(dataDir, 'first-run-credentials.txt');
    const banner = await waitFor('the first-run banner', () =>
      server.stdout().includes('Switchboard is ready') ? server.stdout() : undefined,
    );
    const saved = fs.readFileSync(file, 'utf8');
    const password = /login_password=(\S+)/.exec(saved)?.[1] as string;
    const token = /api_token=(\S+)/.exec(saved)?.[1] as string;
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(banner).toContain(`the password and API token are in ${file} (mode 0600)`);
    expect(banner).not.toContain(password);
    expect(banner).not.toContain(token);
    expect(server.stderr()).not.toContain(token);
    // The file's token is the working one.
    expect((await api(url, token, 'GET', '/api/v1/auth/profile')).status).toBe(200);
  });
});
