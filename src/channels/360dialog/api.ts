import type { AdapterContext } from '../types.ts';
import { type CloudApi, isHttpsHost, parsedUrl } from '../whatsapp/cloud-api.ts';
import { CloudApiError } from '../whatsapp/errors.ts';

/** 360dialog's Cloud API host unless DIALOG360_API_ROOT says otherwise (On-Premise waba.360dialog.io is gone). */
export const DEFAULT_DIALOG360_ROOT = 'https://waba-v2.360dialog.io';
/** Meta's media host: 360dialog serves the same path on its own host, with its key (providers.md §4). */
const META_MEDIA_HOST = 'lookaside.fbsbx.com';

export const dialog360Root = (ctx: AdapterContext) =>
  (ctx.apiRoots?.['360dialog'] ?? DEFAULT_DIALOG360_ROOT).replace(/\/+$/, '');

/** The account's 360dialog endpoints with its D360-API-KEY; throws when no key is configured. */
export async function dialog360Api(ctx: AdapterContext): Promise<CloudApi & { webhookConfigUrl: string }> {
  const key = await ctx.account.secret('credentials.api_key');
  if (!key) throw new CloudApiError(401, 0, 'No API key is configured');
  const root = dialog360Root(ctx);
  const origin = new URL(root).origin;
  return {
    messagesUrl: `${root}/messages`,
    mediaUrl: (id) => `${root}/${encodeURIComponent(id)}`,
    webhookConfigUrl: `${root}/v1/configs/webhook`,
    headers: { 'D360-API-KEY': key },
    downloadUrl(url) {
      const parsed = parsedUrl(url);
      if (!parsed) return undefined;
      // The key only ever goes to 360dialog: Meta's lookaside URL is fetched from 360dialog's host instead.
      if (isHttpsHost(parsed, META_MEDIA_HOST)) {
        return `${root}${parsed.pathname}${parsed.search}`;
      }
      return parsed.origin === origin ? parsed.toString() : undefined;
    },
  };
}
