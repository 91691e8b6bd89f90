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

/** An error's response: status, `{success:false, error, details?}` body and extra headers. */
export type ErrorReply = {
  status: ContentfulStatusCode;
  body: ReturnType<typeof errorBody>;
  headers?: Record<string, string>;
};

/** Final error handler: known errors keep their status and message; anything else is a bare 500. */
export function handleError(err: Error, c: Context, logger: Logger): Response {
  const reply = errorReply(err, logger, c.req.method, c.req.path);
  return c.json(reply.body, reply.status, reply.headers);
}

/** What handleError answers for `err` (also used where no Hono context exists); logs unexpected errors. */
export function errorReply(err: unknown, logger: Logger, method: string, path: string): ErrorReply {
  if (err instanceof ApiError) {
    return { status: err.status, body: errorBody(err.message, err.details), ...withHeaders(err.headers) };
  }
  if (err instanceof HTTPException) {
    return { status: err.status as ContentfulStatusCode, body: errorBody(err.message || 'Request failed') };
  }
  if (err instanceof PasswordHashBusyError) {
    return { status: 429, body: errorBody(err.message, { retry_after: 1 }), headers: { 'Retry-After': '1' } };
  }
  const pgCode = postgresErrorCode(err);
  if (pgCode === '23505') return { status: 409, body: errorBody('Conflicts with an existing record') };
  if (pgCode === '23503') {
    return { status: 409, body: errorBody('Conflicts with related records (still referenced, or missing)') };
  }
  logger.error({ err, path, method }, 'unhandled error');
  return { status: 500, body: errorBody('Internal server error') };
}

const withHeaders = (headers: Record<string, string> | undefined) => (headers ? { headers } : {});

/** The SQLSTATE of a database error, looking through Drizzle's wrapper. */
function postgresErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 3; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
