import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { PasswordHashBusyError } from '../auth/passwords.ts';
import type { Logger } from '../logger.ts';

/** An error whose message is safe to show the caller. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly details?: unknown;
  readonly headers?: Record<string, string>;
  constructor(
    status: ContentfulStatusCode,
    message: string,
    details?: unknown,
    headers?: Record<string, string>,
  ) {
    super(message);
    this.status = status;
    this.details = details;
    this.headers = headers;
  }
}

export const badRequest = (message: string, details?: unknown) => new ApiError(400, message, details);
export const unauthorized = (message = 'Authentication required') => new ApiError(401, message);
export const forbidden = (message: string) => new ApiError(403, message);
export const notFound = (what: string) => new ApiError(404, `${what} not found`);
export const conflict = (message: string) => new ApiError(409, message);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new ApiError(
    429,
    `Too many requests; retry in ${retryAfterSeconds} s`,
    { retry_after: retryAfterSeconds },
    {
      'Retry-After': String(retryAfterSeconds),
    },
  );

/** The one error body shape: `{success:false, error, details?}`. */
export function errorBody(message: string, details?: unknown) {
  return details === undefined
    ? { success: false as const, error: message }
    : { success: false as const, error: message, details };
}

/** Turns a zod failure into a 400 whose message names the first offending field. */
export function validationError(error: ZodError, target: string): ApiError {
  const fields = error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : target,
    message: issue.message,
  }));
  const first = fields[0];
  const where = target === 'json' ? 'body' : target;
  return new ApiError(
    400,
    first ? `Invalid ${where}: ${first.field}: ${first.message}` : `Invalid ${where}`,
    fields,
  );
}

/** Final error handler: known errors keep their status and message; anything else is a bare 500. */
export function handleError(err: Error, c: Context, logger: Logger): Response {
  if (err instanceof ApiError) {
    return c.json(errorBody(err.message, err.details), err.status, err.headers);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return c.json(errorBody(err.message || 'Request failed'), status);
  }
  if (err instanceof PasswordHashBusyError) {
    return c.json(errorBody(err.message, { retry_after: 1 }), 429, { 'Retry-After': '1' });
  }
  const pgCode = postgresErrorCode(err);
  if (pgCode === '23505') return c.json(errorBody('Conflicts with an existing record'), 409);
  if (pgCode === '23503')
    return c.json(errorBody('Conflicts with related records (still referenced, or missing)'), 409);
  logger.error({ err, path: c.req.path, method: c.req.method }, 'unhandled error');
  return c.json(errorBody('Internal server error'), 500);
}

/** The SQLSTATE of a database error, looking through Drizzle's wrapper. */
function postgresErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 3; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
