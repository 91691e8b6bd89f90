import { Hono, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/** Security headers of every page and API response (no CSP here: the console sets its own). */
export const pageHeaders: MiddlewareHandler = secureHeaders({ contentSecurityPolicy: undefined });

/** The widget script is embedded by other sites' pages: it must not be same-origin only. */
export const widgetScriptHeaders: MiddlewareHandler = secureHeaders({
  contentSecurityPolicy: undefined,
  crossOriginResourcePolicy: 'cross-origin',
});

/**
 * The headers `pageHeaders` sets, as name → value, for responses written without Hono (the webhook fast lane).
 * Read from the middleware itself on an empty response, so both paths always send the same set.
 */
export async function pageHeaderValues(): Promise<Record<string, string>> {
  const probe = new Hono();
  probe.use(pageHeaders);
  probe.get('/', (c) => c.body(null, 204));
  const response = await probe.request('/');
  return Object.fromEntries(response.headers);
}
