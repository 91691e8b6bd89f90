import type { Logger } from '../logger.ts';

/** Provider webhooks: thousands a second in a burst, each already counted by outcome in /metrics. */
const WEBHOOK_PATH = '/api/v1/channels/webhooks/';
/**
 * Methods that change nothing: a console, a script or a probe (/healthz, /readyz, /metrics) polling them would
 * fill the log with lines saying nothing.
 */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Which requests log at info (REQUEST_LOG): `changes` (the default) or `all`. */
export const REQUEST_LOG_MODES = ['changes', 'all'] as const;
export type RequestLogMode = (typeof REQUEST_LOG_MODES)[number];

/** Logs one finished request; `started` is its performance.now() at arrival. */
export type RequestLog = (
  requestId: string,
  method: string,
  path: string,
  status: number,
  started: number,
) => void;

/**
 * The request's one log line: method, path (no query string), status, duration; redaction runs in the logger.
 * 5xx logs at error. In `changes` mode what changed nothing and went well logs at debug — successful reads
 * (GET, HEAD, OPTIONS below 400: probes too) and accepted provider webhooks (each counted by outcome in
 * /metrics); writes and failures stay at info. In `all` mode every request logs at info. Every request is
 * counted and timed in /metrics either way.
 */
export function requestLog(logger: Logger, mode: RequestLogMode = 'changes'): RequestLog {
  return (requestId, method, path, status, started) => {
    const quiet =
      mode === 'changes' &&
      ((status < 400 && READS.has(method)) || (status < 300 && path.startsWith(WEBHOOK_PATH)));
    const level = status >= 500 ? 'error' : quiet ? 'debug' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    const ms = Math.round((performance.now() - started) * 10) / 10;
    logger[level]({ request_id: requestId, method, path, status, ms }, 'request');
  };
}
