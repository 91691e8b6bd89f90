import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * HAProxy in front of the Switchboard processes, as a production load balancer would be: health checks on
 * /readyz, connection failures retried on another server, no sticky sessions.
 */
export class LoadBalancer {
  private child?: ChildProcess;
  readonly port: number;
  private readonly backends: number[];
  private readonly dir: string;

  constructor(port: number, backends: number[], dir: string) {
    this.port = port;
    this.backends = backends;
    this.dir = dir;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const servers = this.backends
      .map((port, i) => `  server sb${i} 127.0.0.1:${port} check inter 500 fall 2 rise 1`)
      .join('\n');
    const config = [
      'global',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 1s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  retries 3',
      '  option redispatch',
      '  retry-on conn-failure empty-response',
      'frontend front',
      `  bind 127.0.0.1:${this.port}`,
      '  default_backend switchboard',
      'backend switchboard',
      '  balance roundrobin',
      '  option httpchk GET /readyz',
      servers,
      '',
    ].join('\n');
    const file = path.join(this.dir, 'haproxy.cfg');
    fs.writeFileSync(file, config);
    this.child = spawn('haproxy', ['-f', file, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    this.child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`haproxy exited: ${errors}`);
      const up = await fetch(`${this.url}/healthz`).catch(() => undefined);
      if (up?.ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`haproxy did not come up: ${errors}`);
  }

  stop(): void {
    this.child?.kill('SIGTERM');
  }
}
