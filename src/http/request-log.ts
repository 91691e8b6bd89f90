import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../logger.ts';
import type { AppEnv } from './env.ts';

/** Provider webhooks: thousands a second in a burst, each already counted by outcome in /metrics. */
const WEBHOOK_PATH = '/api/v1/channels/webhooks/';
/** Load-balancer and Prometheus probes: several a second per process, each one the same line. */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One log line per request: method, path (no query string), status, duration. Redaction runs in the logger.
 * Accepted provider webhooks log at debug (the hot path; `switchboard_webhook_events_total` counts them), and so
 * do successful probes (/healthz, /readyz, /metrics); failed ones stay at info or error.
 */
export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    logRequest(logger, c.get('requestId'), c.req.method, c.req.path, c.res.status, started);
  };
}

/** The request's one log line (see requestLog); `started` is its performance.now() at arrival. */
export function logRequest(
  logger: Logger,
  requestId: string,
  method: string,
  path: string,
  status: number,
  started: number,
): void {
  const ms = Math.round((performance.now() - started) * 10) / 10;
  const quiet = status < 300 && (PROBE_PATHS.has(path) || path.startsWith(WEBHOOK_PATH));
  const level = status >= 500 ? 'error' : quiet ? 'debug' : 'info';
  logger[level]({ request_id: requestId, method, path, status, ms }, 'request');
}
