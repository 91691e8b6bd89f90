import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listeningUrl } from '../helpers/process.ts';
import { api, serverRuns } from '../helpers/server-runs.ts';

const { start, tempDataDir, migratedDataDir } = serverRuns();

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
    const dataDir = migratedDataDir();
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
