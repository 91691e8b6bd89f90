import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export type ServerProcess = {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
};

/** Runs `node src/main.ts` (what `npm start` runs) with the given environment. */
export function spawnServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/**
 * Generous outer bound for waits on a spawned server: a cold start on the embedded database takes seconds on a
 * loaded machine (shared CI, load average 4-6 on 2 cores). Waits follow progress; this only stops a hung one.
 */
export const PROCESS_WAIT_MS = 300_000;

/** Waits (bounded) until `predicate` holds, polling every 50 ms. */
export async function waitFor<T>(
  what: string,
  predicate: () => T | undefined | false,
  timeoutMs = PROCESS_WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = predicate();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The base URL from the server's "switchboard listening" log line. */
export function listeningUrl(server: ServerProcess, timeoutMs?: number): Promise<string> {
  return waitFor(
    'the server to listen',
    () => {
      const exitedEarly = server.child.exitCode !== null;
      if (exitedEarly) throw new Error(`server exited: ${server.stderr()}${server.stdout()}`);
      for (const line of server.stdout().split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line);
        if (entry.msg === 'switchboard listening') return `http://127.0.0.1:${entry.port}`;
      }
      return undefined;
    },
    timeoutMs,
  );
}
