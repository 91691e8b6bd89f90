/** Telegram ingest benchmark: signed Telegram updates → durable ack, with sends answered by a tiny fake Bot API. */
import { putChannels, TinyApi } from './tiny-api.ts';
import { measureWebhookIngest } from './webhook-load.ts';

/** A bot token of the right shape; the fake accepts any. */
export const BENCH_BOT_TOKEN = '123456789:bench-token-bench-token-bench';
export const BENCH_WEBHOOK_SECRET = 'bench_webhook_secret_0123456789';
const USERS = 1000;

/** Answers every Bot API method with ok:true (a Message for sends), counting calls. */
export const startTinyBotApi = () =>
  new TinyApi((path, calls) => ({
    ok: true,
    result: /sendMessage$/i.test(path)
      ? { message_id: calls, chat: { id: 1, type: 'private' }, date: 0 }
      : true,
  })).start();

/** PUTs the agent's Telegram configuration through the API, as the spec's Quick Start does. */
export const configureTelegram = (
  url: string,
  token: string,
  ids: { org: string; project: string; agent: string },
) =>
  putChannels(url, token, ids, {
    telegram: { enabled: true, bot_token: BENCH_BOT_TOKEN, webhook_secret: BENCH_WEBHOOK_SECRET },
  });

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
