import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntilQuiet } from './webhook-load.ts';

/** A tiny provider API for benchmarks: answers every request with `answer(path, calls)` as JSON, counting calls. */
export class TinyApi {
  private server?: Server;
  private readonly answer: (path: string, calls: number) => unknown;
  calls = 0;
  url = '';

  constructor(answer: (path: string, calls: number) => unknown) {
    this.answer = answer;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.calls++;
        const body = JSON.stringify(this.answer(req.url ?? '/', this.calls));
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Waits until calls stop arriving (the backlog is answered), at most 120 s. */
  drain(): Promise<void> {
    return waitUntilQuiet(() => this.calls);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}

/** PUTs one agent's channel configuration through the API, as the spec's Quick Start does. */
export async function putChannels(
  url: string,
  token: string,
  ids: { org: string; project: string; agent: string },
  body: Record<string, unknown>,
): Promise<void> {
  const res = await fetch(
    `${url}/api/v1/channels/organizations/${ids.org}/projects/${ids.project}/agents/${ids.agent}/channels`,
    {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
  );
  if (res.status !== 200) throw new Error(`channel config answered ${res.status}: ${await res.text()}`);
}
