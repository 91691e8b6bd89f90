import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One reply accepted by the fake provider. */
export type AcceptedSend = { key: string; chatId: string; text: string; at: number };

export type PeerFault = { kind: '429' | '5xx'; until: number };

/**
 * The loopback provider under chaos: accepts sends keyed by idempotency key (a repeated key is answered with
 * the first message id and counted, as real providers do), and can be told to answer 429 with Retry-After or
 * 503 for a while.
 */
export class ChaosPeer {
  private server?: Server;
  private fault?: PeerFault;
  /** First accepted send per idempotency key, in arrival order. */
  readonly accepted: AcceptedSend[] = [];
  private readonly seen = new Map<string, string>();
  resentKeys = 0;
  refused = 0;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const now = performance.now();
        if (this.fault && now < this.fault.until) {
          this.refused++;
          if (this.fault.kind === '429') {
            res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
            res.end('{"error":"rate limited"}');
          } else {
            res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
          }
          return;
        }
        const key = String(req.headers['idempotency-key'] ?? '');
        const { chat_id, text } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          chat_id: string;
          text: string;
        };
        let id = this.seen.get(key);
        if (id) this.resentKeys++;
        else {
          id = `chaos-${this.seen.size + 1}`;
          this.seen.set(key, id);
          this.accepted.push({ key, chatId: chat_id, text, at: now });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ message_id: id }));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Answers every send with `kind` for `ms` milliseconds from now. */
  failFor(kind: PeerFault['kind'], ms: number): void {
    this.fault = { kind, until: performance.now() + ms };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }
}
