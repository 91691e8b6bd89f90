import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.ts';

const require = createRequire(import.meta.url);
const SWAGGER_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
/** The only files /docs/assets serves; nothing else from the package directory is reachable. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#swagger-ui', persistAuthorization: true });`;

/** OpenAPI 3.1 document at /api/openapi.json and a self-hosted Swagger UI at /docs (no CDN). */
export function registerDocs(app: OpenAPIHono<AppEnv>, version: string): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A session token from /api/v1/auth/login, or an API token (sb_pat_… / sb_org_…)',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'visitorToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'A widget visitor token from POST /api/v1/widget/{agentId}/session',
  });
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard API',
      version,
      description: 'LLM agents that converse over WhatsApp, Telegram, email and a website widget.',
    },
  });
  app.get('/docs', (c) => c.html(PAGE));
  app.get('/docs/assets/init.js', (c) =>
    c.body(INIT, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  app.get('/docs/assets/:file', async (c) => {
    const file = c.req.param('file');
    const type = ASSETS[file];
    if (!type) return c.notFound();
    if (!cache.has(file))
      cache.set(
        file,
        fs.readFile(path.join(SWAGGER_DIR, file)).then((b) => new Uint8Array(b)),
      );
    const body = await (cache.get(file) as Promise<Uint8Array<ArrayBuffer>>);
    return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
}
