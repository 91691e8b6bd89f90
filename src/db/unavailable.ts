/** Socket errors of a server that is down, restarting or not reachable yet. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
/**
 * PostgreSQL states of a server that cannot take the connection now (SQLSTATE class 08, connection exception;
 * 57P01–57P03, shutting down or starting up; 53300, too many connections).
 */
const SERVER_STATES = /^(08...|57P0[123]|53300)$/;
/** node-postgres's own words for a connection that ended or never came up. */
const DRIVER_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect)/;

/** True when `error` says the database is unavailable for now (waiting may fix it), not that a statement is wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SERVER_STATES.test(code))) return true;
  if (typeof message === 'string' && DRIVER_MESSAGES.test(message)) return true;
  // AggregateError (one error per address tried) and wrapped causes.
  const inner = (error as { errors?: unknown[]; cause?: unknown }).errors ?? [
    (error as { cause?: unknown }).cause,
  ];
  return inner.some((e) => e !== error && isDatabaseUnavailable(e));
}
