import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listeningUrl, type ServerProcess, spawnServer, waitFor } from '../helpers/process.ts';

const running: ServerProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of running.splice(0)) s.child.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-data-'));
  dirs.push(dir);
  return dir;
}
function start(env: Record<string, string>): ServerProcess {
  const server = spawnServer(env);
  running.push(server);
  return server;
}
async function api(url: string, token: string, method: string, route: string, body?: unknown) {
  const res = await fetch(url + route, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('npm start on an empty data dir', () => {
  it('bootstraps once, prints a working token, and survives SIGKILL plus a second process', async () => {
    const dataDir = tempDataDir();
    const first = start({ DATA_DIR: dataDir });
    const url = await listeningUrl(first);
    const out = first.stdout();
    const token = /API token\s+(sb_pat_\S+)/.exec(out)?.[1] as string;
    const password = /Login password\s+(\S+)/.exec(out)?.[1] as string;
    expect(token).toBeTruthy();
    expect(out).toContain('Login email     admin@switchboard.local');
    expect(out).toContain(`${url.replace('127.0.0.1', '127.0.0.1')}/docs`);

    const file = path.join(dataDir, 'first-run-credentials.txt');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // The database files (password hashes, keys) sit in a directory only the owner can enter.
    expect(fs.statSync(path.join(dataDir, 'pgdata')).mode & 0o077).toBe(0);
    expect(fs.statSync(path.join(dataDir, 'secrets')).mode & 0o077).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toContain(`api_token=${token}`);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    // The printed token creates an organization, a project and an agent through the documented routes.
    const org = await api(url, token, 'POST', '/api/v1/organizations', { name: 'Acme' });
    expect(org.status).toBe(201);
    const proj = await api(url, token, 'POST', `/api/v1/organizations/${org.body.data._id}/projects`, {
      name: 'Web',
    });
    expect(proj.status).toBe(201);
    const agent = await api(
      url,
      token,
      'POST',
      `/api/v1/organizations/${org.body.data._id}/projects/${proj.body.data._id}/agents`,
      { name: 'Support' },
    );
    expect(agent.status).toBe(201);
    const demo = await api(url, token, 'GET', '/api/v1/auth/profile');
    expect(demo.body.organizations.map((o: any) => o.name).sort()).toEqual(['Acme', 'My Organization']);

    // A second process on the same data dir refuses to start and says why; the first keeps working.
    const second = start({ DATA_DIR: dataDir });
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(/DATA_DIR .* is in use by another Switchboard process \(pid \d+/);
    expect((await api(url, token, 'GET', '/api/v1/organizations')).status).toBe(200);

    // SIGKILL leaves the lock behind; the next start takes it over with every row intact and no second bootstrap.
    first.child.kill('SIGKILL');
    await first.exited;
    expect(fs.existsSync(path.join(dataDir, 'switchboard.lock'))).toBe(true);
    const third = start({ DATA_DIR: dataDir });
    const url3 = await listeningUrl(third);
    expect(third.stdout()).not.toContain('First run');
    const orgs = await api(url3, token, 'GET', '/api/v1/organizations');
    expect(orgs.body.data.map((o: any) => o.name).sort()).toEqual(['Acme', 'My Organization']);
    const agents = await api(
      url3,
      token,
      'GET',
      `/api/v1/organizations/${org.body.data._id}/projects/${proj.body.data._id}/agents`,
    );
    expect(agents.body.data.map((a: any) => a.name)).toEqual(['Support']);
    const login = await fetch(`${url3}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@switchboard.local', password }),
    });
    expect(login.status).toBe(200);

    // SIGTERM: graceful exit 0, lock released.
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'switchboard.lock'))).toBe(false);
    expect(third.stdout()).toContain('shutdown complete');
  });

  it('finishes an in-flight request before exiting on SIGTERM', async () => {
    const dataDir = tempDataDir();
    const server = start({ DATA_DIR: dataDir });
    const url = await listeningUrl(server);
    const token = /API token\s+(sb_pat_\S+)/.exec(server.stdout())?.[1] as string;
    // Login hashes a password (tens of ms): signal while it is in flight.
    const inflight = fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@switchboard.local', password: 'wrong-but-slow' }),
    });
    await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGTERM');
    expect((await inflight).status).toBe(401);
    expect(await server.exited).toBe(0);
    expect(token).toMatch(/^sb_pat_/);
  });

  it('exits 1 naming the variable when configuration is malformed', async () => {
    const server = start({ DATA_DIR: tempDataDir(), PORT: 'eighty', LOG_LEVEL: 'chatty' });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toContain('PORT: must be a whole number');
    expect(server.stderr()).toContain('LOG_LEVEL:');
  });
});

describe('npm run migrate', () => {
  it('applies migrations to the embedded database and reports it', async () => {
    const { spawnSync } = await import('node:child_process');
    const { ROOT } = await import('../helpers/process.ts');
    const dataDir = tempDataDir();
    const run = () =>
      spawnSync(process.execPath, ['src/cli/migrate.ts'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, DATA_DIR: dataDir },
      });
    const first = run();
    expect(first.status, String(first.stderr)).toBe(0);
    expect(String(first.stdout)).toMatch(/Migrations up to date on pglite \(\d+ applied\)/);
    expect(run().status).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'switchboard.lock'))).toBe(false);
  });
});

describe('SIGKILL under write load', () => {
  it('loses no acknowledged write on the embedded database', async () => {
    const dataDir = tempDataDir();
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
    const dataDir = tempDataDir();
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
    const dataDir = tempDataDir();
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
