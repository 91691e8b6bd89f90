import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { telegram } from '../../src/channels/telegram/index.ts';
import type { ProviderAdapter } from '../../src/channels/types.ts';

/**
 * A local stand-in for the Telegram Bot API (getMe, setWebhook, getWebhookInfo) that knows one valid token, and a
 * Telegram adapter whose hooks talk to it through the context's fetch. The channel issue brings the real hooks;
 * this exercises the routes' dispatch, secret decryption on use, and the spec's response shapes.
 */
export async function startFakeTelegram(validToken: string, username: string) {
  const webhook = { url: '', secret: '' };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      if (!match || match[1] !== validToken) {
        res.statusCode = 401;
        res.end(JSON.stringify({ ok: false, error_code: 401, description: 'Unauthorized' }));
        return;
      }
      const method = match[2]?.toLowerCase();
      let result: unknown;
      if (method === 'getme') result = { id: 1, is_bot: true, username };
      else if (method === 'setwebhook') {
        const params = JSON.parse(body || '{}');
        webhook.url = params.url;
        webhook.secret = params.secret_token;
        result = true;
      } else if (method === 'getwebhookinfo') {
        result = {
          url: webhook.url,
          has_custom_certificate: false,
          pending_update_count: 0,
          last_error_date: null,
          max_connections: 40,
        };
      }
      res.end(JSON.stringify({ ok: true, result }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const call = async (
    ctx: Parameters<NonNullable<ProviderAdapter['test']>>[0],
    method: string,
    params?: object,
  ) => {
    const token = await ctx.account.secret('bot_token');
    const res = await ctx.fetch(`${base}/bot${token}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params ?? {}),
    });
    return (await res.json()) as { ok: boolean; result?: any; description?: string };
  };

  const adapter: ProviderAdapter = {
    ...telegram,
    async test(ctx) {
      const me = await call(ctx, 'getMe');
      if (!me.ok)
        return { success: false, error: 'Failed to connect to Telegram API', details: 'Invalid bot token' };
      const info = await call(ctx, 'getWebhookInfo');
      return {
        success: true,
        message: 'Telegram connection test successful',
        details: { bot_username: me.result.username, webhook_set: Boolean(info.result?.url) },
      };
    },
    async setupWebhook(ctx, input) {
      const secret = await ctx.account.secret('webhook_secret');
      const set = await call(ctx, 'setWebhook', { url: input.webhook_url, secret_token: secret });
      if (!set.ok) throw new Error(`setWebhook failed: ${set.description}`);
      return { secret_token_set: true };
    },
    async webhookInfo(ctx) {
      const info = await call(ctx, 'getWebhookInfo');
      if (!info.ok) throw new Error(`getWebhookInfo failed: ${info.description}`);
      return info.result;
    },
  };
  return { adapter, webhook, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
