/** Telegram ingest benchmark: signed Telegram updates → durable ack, with sends answered by a tiny fake Bot API. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { measureWebhookIngest, waitUntilQuiet } from './webhook-load.ts';

/** A bot token of the right shape; the fake accepts any. */
export const BENCH_BOT_TOKEN = '123456789:bench-token-bench-token-bench';
export const BENCH_WEBHOOK_SECRET = 'bench_webhook_secret_0123456789';
const USERS = 1000;

/** Answers every Bot API method with ok:true (a Message for sends), counting calls. */
export class TinyBotApi {
  private server?: Server;
  calls = 0;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.calls++;
        const result = /sendMessage$/i.test(req.url ?? '')
          ? { message_id: this.calls, chat: { id: 1, type: 'private' }, date: 0 }
          : true;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
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

/** PUTs the agent's Telegram configuration through the API, as the spec's Quick Start does. */
export async function configureTelegram(
  url: string,
  token: string,
  ids: { org: string; project: string; agent: string },
) {
  const res = await fetch(
    `${url}/api/v1/channels/organizations/${ids.org}/projects/${ids.project}/agents/${ids.agent}/channels`,
    {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        telegram: { enabled: true, bot_token: BENCH_BOT_TOKEN, webhook_secret: BENCH_WEBHOOK_SECRET },
      }),
    },
  );
  if (res.status !== 200) throw new Error(`telegram config answered ${res.status}: ${await res.text()}`);
}

/** Telegram text-message updates with fresh update ids and the secret header, as fast as they are acknowledged. */
export function measureTelegramIngest(url: string, agentId: string, durationS: number, connections: number) {
  const base = 800_000_000 + (process.pid % 1000) * 1_000_000;
  return measureWebhookIngest(
    `${url}/api/v1/channels/webhooks/telegram/${agentId}`,
    durationS,
    connections,
    (n) => {
      const userId = 10_000 + (n % USERS);
      return {
        body: JSON.stringify({
          update_id: base + n,
          message: {
            message_id: n,
            from: { id: userId, is_bot: false, first_name: 'Bench' },
            chat: { id: userId, type: 'private', first_name: 'Bench' },
            date: 1767225600,
            text: `load ${n}`,
          },
        }),
        headers: {
          'content-type': 'application/json',
          'x-telegram-bot-api-secret-token': BENCH_WEBHOOK_SECRET,
        },
      };
    },
  );
}
