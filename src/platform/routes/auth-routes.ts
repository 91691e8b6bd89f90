import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { credentialChecker, type CredentialChecker } from '../../auth/credentials.ts';
import { weakerRole } from '../../auth/roles.ts';
import { memberships, organizations } from '../../db/schema.ts';
import type { AppDeps, AppEnv } from '../../http/env.ts';
import { forbidden, unauthorized } from '../../http/errors.ts';
import { commonErrors, conflictError, json, jsonBody, RoleSchema, timestamp } from '../../http/openapi.ts';
import { clientIp, rateLimitsOf } from '../../http/rate-limit.ts';
import { principalOf } from '../access.ts';
import { userView } from '../serialize.ts';
import { createUser, findUserById } from '../users.ts';
import { emailField, nameField, passwordField } from '../validation.ts';

export const UserSchema = z
  .object({ _id: z.string(), email: z.string(), name: z.string(), created_at: timestamp() })
  .openapi('User');
const AuthResult = z
  .object({ success: z.literal(true), token: z.string(), user: UserSchema })
  .openapi('AuthResult');

const register = createRoute({
  method: 'post',
  path: '/api/v1/auth/register',
  tags: ['Auth'],
  summary: 'Create an account and get a session token',
  request: jsonBody(z.object({ email: emailField, password: passwordField, name: nameField() })),
  responses: { 201: json(AuthResult, 'Registered'), ...commonErrors, ...conflictError },
});

const login = createRoute({
  method: 'post',
  path: '/api/v1/auth/login',
  tags: ['Auth'],
  summary: 'Exchange email and password for a session token',
  request: jsonBody(z.object({ email: emailField, password: z.string().min(1).max(256) })),
  responses: { 200: json(AuthResult, 'Logged in'), ...commonErrors },
});

const profile = createRoute({
  method: 'get',
  path: '/api/v1/auth/profile',
  tags: ['Auth'],
  summary: 'The calling user and the organizations they belong to',
  security: [{ bearerAuth: [] }],
  responses: {
    200: json(
      z.object({
        success: z.literal(true),
        user: UserSchema,
        auth: z.object({ via: z.string(), organization: z.string().nullable(), role: RoleSchema.nullable() }),
        organizations: z.array(z.object({ _id: z.string(), name: z.string(), role: RoleSchema })),
      }),
      'Profile',
    ),
    ...commonErrors,
  },
});

/**
 * Sign-up, login and profile. Login answers the same 401 for an unknown email and a wrong password. Returns the
 * credential check so the console's cookie login shares its budgets.
 */
export function registerAuthRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): CredentialChecker {
  const { db } = deps.database;
  const registerLimit = rateLimitsOf(deps)('register', deps.config.REGISTER_LIMIT_PER_HOUR, 3600);

  app.openapi(register, async (c) => {
    if (!deps.config.ALLOW_REGISTRATION) throw forbidden('Registration is disabled on this server');
    await registerLimit.consume(clientIp(c, deps.config.TRUST_PROXY));
    const body = c.req.valid('json');
    const user = await createUser(db, body);
    const token = await deps.sessions.sign(user.id);
    return c.json({ success: true as const, token, user: userView(user) }, 201);
  });

  const checkCredentials = credentialChecker(deps);
  app.openapi(login, async (c) => {
    const user = await checkCredentials(c, c.req.valid('json'));
    const token = await deps.sessions.sign(user.id);
    return c.json({ success: true as const, token, user: userView(user) }, 200);
  });

  app.openapi(profile, async (c) => {
    const principal = principalOf(c);
    const user = await findUserById(db, principal.userId);
    if (!user) throw unauthorized();
    const rows = await db
      .select({ _id: organizations.id, name: organizations.name, role: memberships.role })
      .from(memberships)
      .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
      .where(eq(memberships.userId, user.id))
      .orderBy(organizations.id)
      .limit(1000);
    const visible = principal.tokenOrganizationId
      ? rows.filter((r) => r._id === principal.tokenOrganizationId)
      : rows;
    return c.json(
      {
        success: true as const,
        user: userView(user),
        auth: {
          via: principal.via,
          organization: principal.tokenOrganizationId ?? null,
          role: principal.tokenRole ?? null,
        },
        organizations: visible.map((r) => ({
          ...r,
          role: principal.tokenRole ? weakerRole(r.role, principal.tokenRole) : r.role,
        })),
      },
      200,
    );
  });
  return checkCredentials;
}
