import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** N Switchboard processes sharing one PostgreSQL database, each on a fixed port the load balancer knows. */
export class Fleet {
  readonly ports: number[];
  private readonly children: (ChildProcess | undefined)[];
  private readonly env: Record<string, string>;
  private readonly dir: string;
  /** stdout of the first start (the first-run banner with the demo agent's ids). */
  banner = '';
  kills = 0;

  constructor(ports: number[], env: Record<string, string>, dir: string) {
    this.ports = ports;
    this.children = ports.map(() => undefined);
    this.env = env;
    this.dir = dir;
  }

  /** Starts process `i` and resolves once its /readyz answers 200. */
  async start(i: number): Promise<number> {
    const started = performance.now();
    const log = fs.openSync(path.join(this.dir, `sb${i}.log`), 'a');
    const child = spawn(process.execPath, ['src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...this.env,
        PORT: String(this.ports[i]),
        HOST: '127.0.0.1',
        DATA_DIR: path.join(this.dir, `data${i}`),
      },
      stdio: ['ignore', 'pipe', log],
    });
    child.stdout?.on('data', (d: Buffer) => {
      if (this.banner.length < 20_000) this.banner += d.toString();
      fs.writeSync(log, d);
    });
    child.on('exit', () => fs.closeSync(log));
    this.children[i] = child;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`switchboard ${i} exited with ${child.exitCode}`);
      const ready = await fetch(`http://127.0.0.1:${this.ports[i]}/readyz`).catch(() => undefined);
      if (ready?.ok) return performance.now() - started;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`switchboard ${i} was not ready within 90 s`);
  }

  /** SIGKILL: no drain, no cleanup, as a crash or an OOM kill. */
  kill(i: number): Promise<void> {
    const child = this.children[i];
    this.children[i] = undefined;
    if (!child || child.exitCode !== null) return Promise.resolve();
    this.kills++;
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (!child || child.exitCode !== null) return resolve();
            const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
            child.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}
