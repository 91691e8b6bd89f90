import type { MiddlewareHandler } from 'hono';

/**
 * CORS headers for the widget's routes, set before any other middleware so that every answer carries them: a
 * 413 from the body limit or a 400 for malformed JSON the host page's script could not read otherwise (the browser
 * hides a response without them). Which origins may use a widget is decided by the widget's own middleware (403).
 * Mounted on the widget's paths (WIDGET_BASE).
 */
export function widgetCors(): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin) {
      c.header('Access-Control-Allow-Origin', origin);
      c.header('Vary', 'Origin');
      c.header('Access-Control-Allow-Headers', 'authorization, content-type');
      c.header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      c.header('Access-Control-Max-Age', '600');
      c.header('Access-Control-Expose-Headers', 'Retry-After');
    }
    await next();
  };
}
