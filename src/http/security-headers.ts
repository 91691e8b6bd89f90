import { Hono, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/** Response header name → value. */
export type HeaderSet = Readonly<Record<string, string>>;

/** The security headers of every page and API response, and of the widget script (embedded by other sites). */
export type SecurityHeaders = { page: HeaderSet; widgetScript: HeaderSet };

/** No CSP here: the console sets its own. */
const pageHeaders = secureHeaders({ contentSecurityPolicy: undefined });
/** The widget script is embedded by other sites' pages: it must not be same-origin only. */
const widgetScriptHeaders = secureHeaders({
  contentSecurityPolicy: undefined,
  crossOriginResourcePolicy: 'cross-origin',
});

/** The headers a secureHeaders middleware sets, read from the middleware itself on an empty response. */
async function valuesOf(middleware: MiddlewareHandler): Promise<HeaderSet> {
  const probe = new Hono();
  probe.use(middleware);
  probe.get('/', (c) => c.body(null, 204));
  const response = await probe.request('/');
  return Object.freeze(Object.fromEntries(response.headers));
}

let computed: Promise<SecurityHeaders> | undefined;

/**
 * Hono's secure-headers sets, computed once: every response (through Hono or the webhook fast lane) carries the
 * same values, written as fixed header lists rather than a middleware mutating each response.
 */
export function securityHeaders(): Promise<SecurityHeaders> {
  computed ??= Promise.all([valuesOf(pageHeaders), valuesOf(widgetScriptHeaders)]).then(
    ([page, widgetScript]) => ({ page, widgetScript }),
  );
  return computed;
}
