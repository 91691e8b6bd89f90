import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A private PostgreSQL cluster for the chaos run, so restarting it never disturbs the machine's shared server.
 * initdb refuses to run as root, so the cluster belongs to the `postgres` user when we are root.
 */
export class PrivateCluster {
  readonly dir: string;
  readonly port: number;
  private readonly bin: string;

  constructor(port: number) {
    const versions = fs.readdirSync('/usr/lib/postgresql').sort();
    const version = versions.at(-1);
    if (!version) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
    this.bin = `/usr/lib/postgresql/${version}/bin`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-chaos-pg-'));
    this.port = port;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/chaos`;
  }

  private run(tool: string, args: string[]): void {
    const asRoot = process.getuid?.() === 0;
    const command = asRoot ? 'runuser' : `${this.bin}/${tool}`;
    const argv = asRoot ? ['-u', 'postgres', '--', `${this.bin}/${tool}`, ...args] : args;
    const result = spawnSync(command, argv, { encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout}`);
  }

  start(): void {
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', this.dir]);
    this.run('initdb', [
      '-D',
      `${this.dir}/data`,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    this.pgctl('start');
    spawnSync(`${this.bin}/createdb`, [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-U',
      'postgres',
      'chaos',
    ]);
  }

  private pgctl(action: 'start' | 'stop', mode = 'fast'): void {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c max_connections=200`;
    this.run('pg_ctl', [
      '-D',
      `${this.dir}/data`,
      '-l',
      `${this.dir}/log`,
      '-w',
      '-t',
      '60',
      '-m',
      mode,
      '-o',
      options,
      action,
    ]);
  }

  /** A fast shutdown: every connection is cut, new ones are refused until `resume`. */
  stop(): void {
    this.pgctl('stop');
  }

  /** Starts the stopped server again. */
  resume(): void {
    this.pgctl('start');
  }

  destroy(): void {
    try {
      this.pgctl('stop', 'immediate');
    } catch {
      // Already down.
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
