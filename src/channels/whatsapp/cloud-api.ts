import type { AdapterContext } from '../types.ts';
import { CloudApiError } from './errors.ts';

/** Longest wait for one Cloud API call. */
const CALL_TIMEOUT_MS = 15_000;

/**
 * Where one account's Cloud API calls go and how they authenticate: Meta (`{root}/{version}/{phone id}` with a
 * Bearer token) and 360dialog (`{root}` with D360-API-KEY) differ only here.
 */
export type CloudApi = {
  /** POST target for sends, mark-read and typing. */
  messagesUrl: string;
  /** GET target that resolves a media id to its download URL. */
  mediaUrl(mediaId: string): string;
  /** The credential header(s); never logged, never put in an error. */
  headers: Readonly<Record<string, string>>;
  /** The URL to download `url` from with `headers`, or undefined when its host must not see the credential. */
  downloadUrl(url: string): string | undefined;
};

/** A URL taken from a payload, or undefined when it does not parse. */
export function parsedUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** True for `https://<host>/…` on the default port: the only form a provider's own media host is trusted in. */
export const isHttpsHost = (url: URL, host: string): boolean =>
  url.protocol === 'https:' && url.hostname === host && !url.port;

type ErrorBody = {
  error?: { message?: string; code?: number; error_data?: { details?: string } } | string;
  meta?: { developer_message?: string; http_code?: number };
};

/** Meta's error object (providers.md §3.3), or 360dialog's own shapes, as a CloudApiError. */
export function errorFrom(status: number, body: ErrorBody, retryAfter: string | null): CloudApiError {
  const seconds = retryAfter && /^\d{1,6}$/.test(retryAfter) ? Number(retryAfter) : undefined;
  const { error, meta } = body;
  if (error && typeof error === 'object') {
    const details = error.error_data?.details ?? error.message ?? `HTTP ${status}`;
    return new CloudApiError(status, Number(error.code ?? 0), details, seconds);
  }
  const text = typeof error === 'string' ? error : (meta?.developer_message ?? `HTTP ${status}`);
  return new CloudApiError(status, 0, text, seconds);
}

/** One JSON call to the Cloud API; returns the parsed body or throws CloudApiError (status 0 = no answer). */
export async function callCloudApi<T>(
  ctx: AdapterContext,
  api: CloudApi,
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await ctx.fetch(url, {
      method,
      headers: { ...api.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (error) {
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new CloudApiError(0, 0, `network error (${reason})`);
  }
  const parsed = (await response.json().catch(() => ({}))) as T & ErrorBody;
  if (response.ok && !(parsed.error && typeof parsed.error === 'object')) return parsed;
  throw errorFrom(response.status, parsed, response.headers.get('retry-after'));
}
