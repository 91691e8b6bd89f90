import type { Logger } from '../logger.ts';

/** Provider webhooks: thousands a second in a burst, each already counted by outcome in /metrics. */
const WEBHOOK_PATH = '/api/v1/channels/webhooks/';
/** Load-balancer and Prometheus probes: several a second per process, each one the same line. */
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The request's one log line: method, path (no query string), status, duration; redaction runs in the logger.
 * Accepted provider webhooks log at debug (the hot path; `switchboard_webhook_events_total` counts them), and so
 * do successful probes (/healthz, /readyz, /metrics); failed ones stay at info or error. `started` is the
 * request's performance.now() at arrival.
 */
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
