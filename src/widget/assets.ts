import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { isId } from '../ids.ts';

/** The built widget (npm run build:widget), committed so a fresh clone serves it without a build step. */
export const WIDGET_FILE = fileURLToPath(new URL('../../widget/dist/widget.js', import.meta.url));
/** How long browsers may reuse /widget.js before revalidating; the versioned URL is cached for a year. */
const SHORT_CACHE = 'public, max-age=300, must-revalidate';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const JS = 'application/javascript; charset=utf-8';

export type WidgetAsset = { code: string; hash: string; versionedPath: string };

export function loadWidgetAsset(file = WIDGET_FILE): WidgetAsset | undefined {
  if (!fs.existsSync(file)) return undefined;
  const code = fs.readFileSync(file, 'utf8');
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  return { code, hash, versionedPath: `/widget/${hash}.js` };
}

/** Paths that serve the widget script: it must be loadable by any page (CORP cross-origin). */
export const isWidgetScriptPath = (path: string) =>
  path === '/widget.js' || /^\/widget\/[0-9a-f]{16}\.js$/.test(path);

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The demo page's policy: only its own scripts, styles and API; nothing may frame it. */
const DEMO_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function demoPage(agentId: string, scriptPath: string, origin: string): string {
  const id = escapeHtml(agentId);
  const snippet = escapeHtml(`<script src="${origin}/widget.js" data-agent-id="${agentId}" async></script>`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard widget demo</title>
<style>
body{font:16px/1.6 system-ui,sans-serif;margin:0;color:#1b1c1f;background:#f6f7f9}
main{max-width:720px;margin:0 auto;padding:48px 24px}
h1{font-size:28px;margin:0 0 8px}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:14px}
pre{background:#fff;border:1px solid #d9dce1;border-radius:8px;padding:12px;overflow-x:auto}
</style>
</head>
<body>
<main>
<h1>Website widget demo</h1>
<p>This page hosts the Switchboard chat widget for agent <code>${id}</code>. Open the chat bubble in the corner and say hello.</p>
<p>Embed it on any site with one line:</p>
<pre><code>${snippet}</code></pre>
<p>Colours, corner and greeting come from the agent's <code>website.theme</code> channel settings.</p>
</main>
<script src="${escapeHtml(scriptPath)}" data-agent-id="${id}" async></script>
</body>
</html>
`;
}

/** GET /widget.js (short cache), GET /widget/{hash}.js (immutable) and the demo page, GET /widget/demo?agent=. */
export function registerWidgetAssets(
  app: OpenAPIHono<AppEnv>,
  publicUrl: string | undefined,
  asset = loadWidgetAsset(),
): void {
  const serve = (c: Context<AppEnv>, cacheControl: string) => {
    if (!asset)
      return c.json({ success: false, error: 'The widget is not built: run npm run build:widget' }, 503);
    const etag = `"${asset.hash}"`;
    c.header('Cache-Control', cacheControl);
    c.header('ETag', etag);
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.body(asset.code, 200, { 'Content-Type': JS });
  };
  app.get('/widget.js', (c) => serve(c, SHORT_CACHE));
  app.get('/widget/:file{[0-9a-f]+\\.js}', (c) => {
    if (c.req.param('file') !== `${asset?.hash}.js`)
      return c.json({ success: false, error: 'Unknown widget version' }, 404);
    return serve(c, IMMUTABLE);
  });
  app.get('/widget/demo', (c) => {
    const agentId = c.req.query('agent') ?? '';
    c.header('Content-Security-Policy', DEMO_CSP);
    c.header('Cache-Control', 'no-store');
    if (!isId('agent', agentId)) {
      return c.html(
        '<!doctype html><meta charset="utf-8"><title>Widget demo</title><p>Pass a valid agent id: <code>/widget/demo?agent=agent_…</code></p>',
        400,
      );
    }
    const origin = (publicUrl ?? new URL(c.req.url).origin).replace(/\/$/, '');
    return c.html(demoPage(agentId, asset?.versionedPath ?? '/widget.js', origin));
  });
}
