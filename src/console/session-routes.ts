import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { CredentialChecker } from '../auth/credentials.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { commonErrors, json, jsonBody } from '../http/openapi.ts';
import { userView } from '../platform/serialize.ts';
import { emailField } from '../platform/validation.ts';
import { UserSchema } from '../platform/routes/auth-routes.ts';
import { clearConsoleCookies, setConsoleCookies } from './cookies.ts';

const login = createRoute({
  method: 'post',
  path: '/api/v1/auth/console/login',
  tags: ['Auth'],
  summary:
    'Console login: sets an httpOnly session cookie and a CSRF cookie (for the web console, not API clients)',
  request: jsonBody(z.object({ email: emailField, password: z.string().min(1).max(256) })),
  responses: {
    200: json(z.object({ success: z.literal(true), user: UserSchema }), 'Logged in'),
    ...commonErrors,
  },
});

const logout = createRoute({
  method: 'post',
  path: '/api/v1/auth/console/logout',
  tags: ['Auth'],
  summary: 'Console logout: clears the session and CSRF cookies',
  responses: { 200: json(z.object({ success: z.literal(true) }), 'Logged out') },
});

/** The console's cookie session; the same credential check (and budgets) as the token login. */
export function registerConsoleSessionRoutes(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps,
  checkCredentials: CredentialChecker,
): void {
  app.openapi(login, async (c) => {
    const user = await checkCredentials(c, c.req.valid('json'));
    const token = await deps.sessions.sign(user.id);
    setConsoleCookies(c, token, deps.config.SESSION_TTL, deps.config.PUBLIC_URL);
    c.header('Cache-Control', 'no-store');
    return c.json({ success: true as const, user: userView(user) }, 200);
  });
  app.openapi(logout, (c) => {
    clearConsoleCookies(c);
    return c.json({ success: true as const }, 200);
  });
}
