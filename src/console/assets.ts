import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.ts';

/** The built console (npm run build:console), committed so a fresh clone serves it without a build step. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist', import.meta.url));
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Only the console's own script, styles and API; frames only from this origin (the widget preview); nothing
 * may frame the console.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

type Asset = { body: string; hash: string; type: string };

function load(name: string, type: string): Asset | undefined {
  const file = path.join(CONSOLE_DIST, name);
  if (!fs.existsSync(file)) return undefined;
  const body = fs.readFileSync(file, 'utf8');
  return { body, hash: createHash('sha256').update(body).digest('hex').slice(0, 16), type };
}

function page(js: Asset, css: Asset): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Switchboard console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/console.${css.hash}.css">
<script src="/console/assets/console.${js.hash}.js" defer></script>
</head>
<body>
<div id="app"></div>
<noscript>The Switchboard console needs JavaScript.</noscript>
</body>
</html>
`;
}

/** GET /console (the single page; routes are in the hash) and its hashed, immutable assets. */
export function registerConsoleAssets(app: OpenAPIHono<AppEnv>): void {
  const js = load('console.js', 'application/javascript; charset=utf-8');
  const css = load('console.css', 'text/css; charset=utf-8');
  const assets = new Map([js, css].filter((a): a is Asset => a !== undefined).map((a) => [a.hash, a]));
  const html = js && css ? page(js, css) : undefined;
  const servePage = (c: Context<AppEnv>) => {
    c.header('Content-Security-Policy', CONSOLE_CSP);
    c.header('Cache-Control', 'no-store');
    if (!html)
      return c.html(
        '<!doctype html><title>Console</title><p>The console is not built: run npm run build:console</p>',
        503,
      );
    return c.html(html);
  };
  app.get('/console', servePage);
  app.get('/console/', servePage);
  app.get('/console/assets/:file{console\\.[0-9a-f]{16}\\.(js|css)}', (c) => {
    const hash = c.req.param('file').split('.')[1] ?? '';
    const asset = assets.get(hash);
    if (!asset) return c.json({ success: false, error: 'Unknown console asset version' }, 404);
    c.header('Cache-Control', IMMUTABLE);
    return c.body(asset.body, 200, { 'Content-Type': asset.type });
  });
}
