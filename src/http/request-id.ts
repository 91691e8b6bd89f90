import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';

/** Longest caller-chosen request id kept; longer ones are replaced. */
const MAX_LENGTH = 128;
const UNSAFE = /[^\w\-=]/;

/** The caller's `X-Request-Id` when short and made of safe characters, else a fresh UUID. */
export function requestIdFrom(header: string | undefined): string {
  return header && header.length <= MAX_LENGTH && !UNSAFE.test(header) ? header : crypto.randomUUID();
}

/** Sets `requestId` for the request and echoes it as `X-Request-Id` on the response. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const id = requestIdFrom(c.req.header('x-request-id'));
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  };
}
