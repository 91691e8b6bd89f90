import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { WEBHOOK_PREFIX } from '../engine/webhook-route.ts';
import { findUnstorable, isStorable, toStorable } from '../text-safety.ts';
import { ApiError, badRequest } from './errors.ts';

const UNSTORABLE = 'contains a NUL character or an unpaired surrogate';

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Rejects bodies over `maxBytes` with 413 before they are buffered whole. A declared Content-Length (and no
 * Transfer-Encoding) is judged from the header alone: Hono's bodyLimit would first touch `req.raw.body`, which
 * makes the Node adapter build a full web Request and stream (a tenth of a webhook's CPU, measured). The Node
 * HTTP parser never reads past the declared length, so the header is the body's size.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => {
    throw new ApiError(413, `Request body too large; the limit is ${maxBytes} bytes`);
  };
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return streamed(c, next);
    return Number.parseInt(length, 10) > maxBytes ? tooLarge() : next();
  };
}

function hasBody(headers: Headers): boolean {
  const length = headers.get('content-length');
  if (length !== null) return Number(length) > 0;
  return headers.has('transfer-encoding');
}

/**
 * For JSON API routes: a body must be declared as JSON (415 otherwise) and must parse (400 with the parser's
 * message). The raw bytes stay readable through `rawBody`.
 */
export function requireJsonBody(): MiddlewareHandler {
  return async (c, next) => {
    if (!BODY_METHODS.has(c.req.method) || !hasBody(c.req.raw.headers)) return next();
    // Provider webhooks carry their own formats (form-encoded, raw MIME…) and are verified on raw bytes.
    if (c.req.path.startsWith(WEBHOOK_PREFIX)) return next();
    const mediaType = c.req.header('content-type')?.split(';')[0]?.trim() ?? '';
    if (!JSON_TYPE.test(mediaType)) {
      throw new ApiError(415, `Unsupported Content-Type "${mediaType || 'none'}"; send application/json`);
    }
    // Buffer the raw bytes first: Hono caches them, so signature checks still see exactly what was sent.
    const bytes = await c.req.arrayBuffer();
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      throw badRequest(`Malformed JSON in request body: ${(err as Error).message}`);
    }
    const field = findUnstorable(parsed);
    if (field !== undefined) throw badRequest(`Invalid body: ${field || 'body'}: ${UNSTORABLE}`);
    return next();
  };
}

/** Refuses a path segment or query parameter that decodes to a string PostgreSQL cannot store (`%00`). */
export function rejectUnstorableUrl(): MiddlewareHandler {
  return async (c, next) => {
    // The raw path and query cut from the URL string: no URL object per request (it showed in the webhook profile).
    const href = c.req.url;
    // Without escapes every decoded segment and parameter is a piece of the URL itself.
    if (!href.includes('%') && isStorable(href)) return next();
    const start = href.indexOf('/', href.indexOf('://') + 3);
    if (start < 0) return next();
    const hash = href.indexOf('#', start);
    const end = hash < 0 ? href.length : hash;
    const query = href.indexOf('?', start);
    const pathEnd = query < 0 || query > end ? end : query;
    for (const segment of href.slice(start, pathEnd).split('/')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        continue; // malformed escapes stay literal text, which is storable
      }
      if (!isStorable(decoded)) throw badRequest(`Invalid path: ${UNSTORABLE}`);
    }
    if (pathEnd === end) return next();
    for (const [key, value] of new URLSearchParams(href.slice(pathEnd + 1, end))) {
      if (!isStorable(key) || !isStorable(value)) {
        throw badRequest(`Invalid query: ${toStorable(key).slice(0, 100)}: ${UNSTORABLE}`);
      }
    }
    return next();
  };
}

/** The request body exactly as received (bounded by the body limit), for signature checks on raw bytes. */
export async function rawBody(c: Context): Promise<Uint8Array> {
  return new Uint8Array(await c.req.arrayBuffer());
}
