import type { AdapterContext } from '../types.ts';
import { CloudApiError } from './errors.ts';
import { parseRetryAfter } from '../../net/retry-after.ts';

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
  error?: { message?: unknown; code?: unknown; error_data?: { details?: unknown } } | string;
  meta?: { developer_message?: unknown; http_code?: number };
};

/** Longest provider text kept in an error (it is stored on the failed message). */
const DETAILS_MAX = 500;

/** Retry-After as whole seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | null, now = Date.now()): number | undefined {
  const ms = parseRetryAfter(value ?? undefined, now);
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}

/**
 * Provider text fit for an error message: no URL (a media link may carry a signature), none of the credential
 * `secrets` (a proxy may echo the request), bounded length.
 */
export function safeDetails(text: string, secrets: readonly string[] = []): string {
  let safe = text;
  for (const secret of secrets) {
    for (const part of secret.split(/\s+/)) if (part.length >= 8) safe = safe.replaceAll(part, '[redacted]');
  }
  safe = safe
    .replace(/\b(?:https?|wss?):\/\/\S+/gi, '[url]')
    .replace(/\s+/g, ' ')
    .trim();
  return safe.length > DETAILS_MAX ? `${safe.slice(0, DETAILS_MAX)}…` : safe;
}

/** Meta's error object (providers.md §3.3), or 360dialog's own shapes, as a CloudApiError. */
export function errorFrom(
  status: number,
  body: ErrorBody,
  retryAfter: string | null,
  secrets: readonly string[] = [],
): CloudApiError {
  const seconds = retryAfterSeconds(retryAfter);
  const { error, meta } = body;
  if (error && typeof error === 'object') {
    const details = textOf(error.error_data?.details) ?? textOf(error.message) ?? `HTTP ${status}`;
    return new CloudApiError(status, codeOf(error.code), safeDetails(details, secrets), seconds);
  }
  const text = textOf(error) ?? textOf(meta?.developer_message) ?? `HTTP ${status}`;
  return new CloudApiError(status, 0, safeDetails(text, secrets), seconds);
}

const textOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/** Meta's numeric code (sometimes sent as a string); 0 when there is none. */
const codeOf = (value: unknown): number => {
  const code = Number(value ?? 0);
  return Number.isSafeInteger(code) && code > 0 ? code : 0;
};

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
  // A proxy's HTML page, an empty body or a bare JSON value reads as no body at all.
  const json: unknown = await response.json().catch(() => undefined);
  const parsed = (json !== null && typeof json === 'object' ? json : {}) as T & ErrorBody;
  if (response.ok && !(parsed.error && typeof parsed.error === 'object')) return parsed;
  throw errorFrom(response.status, parsed, response.headers.get('retry-after'), Object.values(api.headers));
}
