import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signLoopback } from '../../src/channels/loopback/protocol.ts';
import { readBody } from './read-body.ts';

/** One POST /send the peer received. */
export type PeerSend = {
  key: string;
  chatId: string;
  text: string;
  at: number;
  ok: boolean;
  duplicate: boolean;
};
/** A scripted answer for the next send: an HTTP status, optional Retry-After seconds and error code. */
export type ScriptedFailure = { status: number; retryAfter?: number; code?: string; error?: string };

/**
 * The loopback provider: accepts sends like a real provider with idempotency keys (a repeated key
 * returns the first message id and is flagged duplicate), records every call, and can be scripted
 * to fail. It also signs and posts updates to Switchboard's webhook.
 */
export class LoopbackPeer {
  readonly sends: PeerSend[] = [];
  private readonly ids = new Map<string, string>();
  private readonly script: ScriptedFailure[] = [];
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = String(req.headers['idempotency-key'] ?? '');
    const body = JSON.parse((await readBody(req)).toString('utf8')) as { chat_id: string; text: string };
    const failure = this.script.shift();
    const known = failure ? undefined : this.ids.get(key);
    this.sends.push({
      key,
      chatId: body.chat_id,
      text: body.text,
      at: Date.now(),
      ok: !failure,
      duplicate: known !== undefined,
    });
    if (failure) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (failure.retryAfter !== undefined) headers['retry-after'] = String(failure.retryAfter);
      res
        .writeHead(failure.status, headers)
        .end(JSON.stringify({ code: failure.code, error: failure.error }));
      return;
    }
    const id = known ?? `lb_${this.ids.size + 1}`;
    this.ids.set(key, id);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ message_id: id }));
  }

  /** Answers the next sends with these failures, in order. */
  failNext(...failures: ScriptedFailure[]): void {
    this.script.push(...failures);
  }

  /** Successful, first-time sends (what the person actually received). */
  delivered(): PeerSend[] {
    return this.sends.filter((s) => s.ok && !s.duplicate);
  }

  /** Provider message id given to an idempotency key. */
  messageIdFor(key: string): string | undefined {
    return this.ids.get(key);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

export const LOOPBACK_SECRET = 'loopback-test-secret-0123456789';

/** Posts a signed loopback update to a Switchboard webhook. */
export async function postLoopback(
  baseUrl: string,
  agentId: string,
  update: unknown,
  secret = LOOPBACK_SECRET,
): Promise<Response> {
  const body = JSON.stringify(update);
  return fetch(`${baseUrl}/api/v1/channels/webhooks/loopback/${agentId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-loopback-signature': signLoopback(body, secret) },
    body,
  });
}

/** Polls `check` every 25 ms until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
