import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { secretsEqual } from '../../src/auth/constant-time.ts';
import { readBody } from './read-body.ts';

/** One POST the receiver got, with its verdict on the signature. */
export type Received = { headers: IncomingMessage['headers']; body: string; at: number; answered: number };

/**
 * An event webhook endpoint on 127.0.0.1, as a subscriber would write it: it recomputes the documented signature
 * `v1=hex(HMAC-SHA256(secret, "<timestamp>.<body>"))`. Answers are scripted (status codes in order, then 200); a
 * `hold` answer waits until `release()`.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  private readonly script: (number | 'hold')[] = [];
  private held?: () => void;
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  answerNext(...answers: (number | 'hold')[]): void {
    this.script.push(...answers);
  }

  release(): void {
    this.held?.();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readBody(req)).toString('utf8');
    const record: Received = { headers: req.headers, body, at: Date.now(), answered: 0 };
    this.received.push(record);
    let answer = this.script.shift() ?? 200;
    if (answer === 'hold') {
      await new Promise<void>((resolve) => (this.held = resolve));
      answer = 200;
    }
    record.answered = answer;
    res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'nope');
  }

  /** True when the request carries a valid signature for `secret` (what a subscriber must check). */
  static verify(received: Received, secret: string): boolean {
    const timestamp = String(received.headers['x-switchboard-timestamp'] ?? '');
    const signature = String(received.headers['x-switchboard-signature'] ?? '');
    if (!/^\d+$/.test(timestamp)) return false;
    const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${received.body}`).digest('hex')}`;
    return secretsEqual(signature, expected);
  }

  async close(): Promise<void> {
    this.release();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
