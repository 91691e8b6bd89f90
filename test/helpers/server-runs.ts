import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { migratedDataDir } from './database.ts';
import { type ServerProcess, spawnServer } from './process.ts';

/** Spawned servers and data dirs for one test file, killed and removed after each test. */
export function serverRuns() {
  const running: ServerProcess[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const s of running.splice(0)) s.child.kill('SIGKILL');
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return {
    tempDataDir(): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-data-'));
      dirs.push(dir);
      return dir;
    },
    /** A data dir whose database is already migrated (migratedDataDir): for tests not about creating it. */
    migratedDataDir(): string {
      const dir = migratedDataDir();
      dirs.push(dir);
      return dir;
    },
    start(env: Record<string, string>): ServerProcess {
      const server = spawnServer(env);
      running.push(server);
      return server;
    },
  };
}

/** One authenticated JSON API call against a spawned server. */
export async function api(url: string, token: string, method: string, route: string, body?: unknown) {
  const res = await fetch(url + route, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}
