import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RawRequest } from '../channels/types.ts';
import type { AppDeps } from '../http/env.ts';
import { badRequest, errorBody, errorReply } from '../http/errors.ts';
import { requestIdFrom } from '../http/request-id.ts';
import { requestLog } from '../http/request-log.ts';
import type { HeaderSet } from '../http/security-headers.ts';
import { observeRequest } from '../metrics/http-metrics.ts';
import { MAIL_WEBHOOK_PREFIX } from './mail-route.ts';
import { JSON_TYPE, receiveWebhook, STATUS_PATH, WEBHOOK_PATH, type WebhookReply } from './webhook-route.ts';

/** Answers the request and returns true, or returns false untouched (Hono answers it). */
export type WebhookLane = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * A channel's webhook or status URL with nothing escaped and no query: the only paths the lane takes. Mail has
 * routes of its own under the same prefix (mail-route.ts), registered first in Hono, so it never comes here.
 */
const LANE_PATH = /^\/api\/v1\/channels\/webhooks\/([a-z0-9-]+)\/([A-Za-z0-9_]+)(\/status)?$/;
/** Host headers Hono's Node adapter puts into the URL unchanged; others (default ports, IPv6…) it normalizes. */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;
/** The Node adapter's type for a body without one. */
const DEFAULT_TYPE = 'text/plain; charset=UTF-8';
const INTERNAL_ERROR = JSON.stringify(errorBody('Internal server error'));

/**
 * Provider webhooks straight from node:http: the hot path of a burst (thousands a second) without the router,
 * the web Request/Response conversion and the middleware chain, which were 40% of its CPU. It does what that
 * chain does for these requests — request id, security headers, body limit, latency metric, log line — and
 * the route's work is the shared `receiveWebhook`, so both answer alike. Anything unusual (another method or
 * path, a query, an escape, no or a chunked or too large body, an unusual Host) goes to Hono untouched.
 */
export function createWebhookFastLane(deps: AppDeps, security: HeaderSet): WebhookLane {
  const limit = deps.config.BODY_LIMIT_BYTES;
  const log = requestLog(deps.logger, deps.config.REQUEST_LOG);
  return (req, res) => {
    if (req.method !== 'POST') return false;
    const path = req.url ?? '';
    const match = LANE_PATH.exec(path);
    const { host } = req.headers;
    const length = Number(req.headers['content-length']);
    if (!match || path.startsWith(MAIL_WEBHOOK_PREFIX)) return false;
    if (!host || !PLAIN_HOST.test(host) || req.headers['transfer-encoding'] !== undefined) return false;
    if (!(length <= limit)) return false;
    const started = performance.now();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    // A client that went away mid-body: nothing was recorded and there is no one to answer.
    req.on('error', () => {});
    req.on('end', () => {
      const requestId = requestIdFrom(single(req.headers['x-request-id']));
      const [, channel = '', agentId = '', status] = match;
      const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
      const answer = (reply: WebhookReply, extra?: Record<string, string>) => {
        res.writeHead(reply.status, {
          ...extra,
          ...security,
          'x-request-id': requestId,
          'content-type': reply.contentType || DEFAULT_TYPE,
          'content-length': Buffer.byteLength(reply.body),
        });
        // A string body goes out in one write with the headers.
        res.end(reply.body);
        observeRequest('POST', status ? STATUS_PATH : WEBHOOK_PATH, reply.status, started);
        log(requestId, 'POST', path, reply.status, started);
      };
      const failed = (error: unknown) => {
        const { status: code, body, headers } = errorReply(error, deps.logger, 'POST', path);
        answer({ status: code, body: JSON.stringify(body), contentType: JSON_TYPE }, headers);
      };
      let request: RawRequest;
      try {
        const body = joined(chunks, Math.min(size, limit));
        request = { method: 'POST', url: `${scheme}://${host}${path}`, headers: headersOf(req), body };
      } catch {
        failed(badRequest('Malformed request headers'));
        return;
      }
      receiveWebhook(deps, channel, agentId, request)
        .then(answer, failed)
        .catch((error: unknown) => {
          // The answer itself could not be written (a header the adapter or error carried was refused).
          deps.logger.error({ err: error, path }, 'webhook answer failed');
          if (res.headersSent) res.destroy();
          else res.writeHead(500, { 'content-type': JSON_TYPE }).end(INTERNAL_ERROR);
        });
    });
    return true;
  };
}

/** The request's headers as the adapters read them (repeated headers joined, as Hono's adapter does). */
function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

/** The body's bytes in one fresh array (not a slice of Node's shared buffer pool). */
function joined(chunks: Buffer[], size: number): Uint8Array {
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk.subarray(0, size - offset), offset);
    offset += Math.min(chunk.length, size - offset);
  }
  return body;
}

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
