import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { httpRequestSeconds, secondsSince } from './metrics.ts';

/** Observes every request's latency under its route pattern; paths nothing matched share one label. */
export function observeHttp(): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      const pattern = routePath(c, -1);
      observeRequest(c.req.method, pattern.endsWith('*') ? 'unmatched' : pattern, c.res.status, start);
    }
  };
}

/** Counts one request's latency under its route pattern; `start` is its performance.now() at arrival. */
export function observeRequest(method: string, route: string, status: number, start: number): void {
  httpRequestSeconds.observe({ method, route, status: String(status) }, secondsSince(start));
}
