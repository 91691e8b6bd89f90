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
      httpRequestSeconds.observe(
        {
          method: c.req.method,
          route: pattern.endsWith('*') ? 'unmatched' : pattern,
          status: String(c.res.status),
        },
        secondsSince(start),
      );
    }
  };
}
