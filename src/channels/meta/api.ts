import type { AdapterContext } from '../types.ts';
import { type CloudApi, isHttpsHost, parsedUrl } from '../whatsapp/cloud-api.ts';
import { CloudApiError } from '../whatsapp/errors.ts';

/** Where the Graph API lives unless META_GRAPH_API_ROOT says otherwise. */
export const DEFAULT_GRAPH_ROOT = 'https://graph.facebook.com';
/** Graph API version used unless the channel sets `graph_version` (v20.0 expired in 2026; providers.md §13). */
export const DEFAULT_GRAPH_VERSION = 'v25.0';
/** Meta's media download host (providers.md §3.2): the only outside host that gets the access token. */
const MEDIA_HOST = 'lookaside.fbsbx.com';

export const graphRoot = (ctx: AdapterContext) =>
  (ctx.apiRoots?.meta ?? DEFAULT_GRAPH_ROOT).replace(/\/+$/, '');

const settingsOf = (ctx: AdapterContext) =>
  ctx.account.settings as {
    graph_version?: string;
    credentials?: { phone_number_id?: string };
  };

export const graphVersion = (ctx: AdapterContext) => settingsOf(ctx).graph_version ?? DEFAULT_GRAPH_VERSION;
export const phoneNumberIdOf = (ctx: AdapterContext) => settingsOf(ctx).credentials?.phone_number_id;

/** Meta's endpoints: the Cloud API ones plus the phone number node (connection test, webhook override). */
export type MetaApi = CloudApi & { phoneNumberUrl: string };

/** The account's Graph API endpoints with its Bearer token; throws when no token or number id is configured. */
export async function metaApi(ctx: AdapterContext): Promise<MetaApi> {
  const token = await ctx.account.secret('credentials.access_token');
  const phoneNumberId = phoneNumberIdOf(ctx);
  if (!token || !phoneNumberId)
    throw new CloudApiError(401, 190, 'No access token or phone number id is configured');
  const base = `${graphRoot(ctx)}/${graphVersion(ctx)}`;
  const root = new URL(graphRoot(ctx));
  return {
    messagesUrl: `${base}/${encodeURIComponent(phoneNumberId)}/messages`,
    mediaUrl: (id) => `${base}/${encodeURIComponent(id)}`,
    phoneNumberUrl: `${base}/${encodeURIComponent(phoneNumberId)}`,
    headers: { authorization: `Bearer ${token}` },
    downloadUrl(url) {
      const parsed = parsedUrl(url);
      if (!parsed) return undefined;
      return isHttpsHost(parsed, MEDIA_HOST) || parsed.origin === root.origin ? parsed.toString() : undefined;
    },
  };
}
