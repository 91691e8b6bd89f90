import { httpRequestSeconds, secondsSince } from './metrics.ts';

/** Label sets whose histogram child is kept (routes × methods × statuses stay far below this). */
const MAX_CHILDREN = 2_000;
const children = new Map<string, { observe(value: number): void }>();

/**
 * Counts one request's latency under its route pattern (paths nothing matched share one label); `start` is its
 * performance.now() at arrival. Each label set's child is looked up once, not hashed per request.
 */
export function observeRequest(method: string, route: string, status: number, start: number): void {
  const key = `${method} ${status} ${route}`;
  let child = children.get(key);
  if (!child) {
    child = httpRequestSeconds.labels({ method, route, status: String(status) });
    if (children.size < MAX_CHILDREN) children.set(key, child);
  }
  child.observe(secondsSince(start));
}
