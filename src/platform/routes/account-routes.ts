import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { hashPassword, verifyPassword } from '../../auth/passwords.ts';
import { users } from '../../db/schema.ts';
import type { AppDeps, AppEnv } from '../../http/env.ts';
import { ApiError, badRequest, unauthorized } from '../../http/errors.ts';
import { commonErrors, json, jsonBody, secured } from '../../http/openapi.ts';
import { rateLimitsOf } from '../../http/rate-limit.ts';
import { personOf } from '../access.ts';
import { userView } from '../serialize.ts';
import { findUserById } from '../users.ts';
import { nameField, passwordField } from '../validation.ts';
import { UserSchema } from './auth-routes.ts';

const changePassword = createRoute({
  method: 'put',
  path: '/api/v1/auth/password',
  tags: ['Auth'],
  summary: 'Change your password; every earlier session token stops working and a fresh one is returned',
  ...secured,
  request: jsonBody(z.object({ current_password: z.string().min(1).max(256), new_password: passwordField })),
  responses: {
    200: json(z.object({ success: z.literal(true), token: z.string(), user: UserSchema }), 'Changed'),
    ...commonErrors,
  },
});

const updateProfile = createRoute({
  method: 'put',
  path: '/api/v1/auth/profile',
  tags: ['Auth'],
  summary: 'Change your display name',
  ...secured,
  request: jsonBody(z.object({ name: nameField() })),
  responses: {
    200: json(z.object({ success: z.literal(true), user: UserSchema }), 'Updated'),
    ...commonErrors,
  },
});

/** Self-service account changes. Organization tokens (automation) cannot use them. */
export function registerAccountRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { db } = deps.database;
  const attempts = rateLimitsOf(deps)('password', deps.config.LOGIN_FAILURES_PER_10_MIN, 600);

  app.openapi(changePassword, async (c) => {
    const principal = personOf(c, 'cannot change an account');
    const body = c.req.valid('json');
    await attempts.consume(`password|${principal.userId}`);
    const user = await findUserById(db, principal.userId);
    if (!user) throw unauthorized();
    if (!(await verifyPassword(body.current_password, user.passwordHash))) {
      throw new ApiError(400, 'Invalid body: current_password: is not your current password', [
        { field: 'current_password', message: 'is not your current password' },
      ]);
    }
    if (body.new_password === body.current_password) {
      throw badRequest('Invalid body: new_password: must differ from the current password');
    }
    const now = new Date();
    const [updated] = await db
      .update(users)
      .set({ passwordHash: await hashPassword(body.new_password), sessionsValidAfter: now, updatedAt: now })
      .where(eq(users.id, user.id))
      .returning();
    if (!updated) throw unauthorized();
    await attempts.reset(`password|${principal.userId}`);
    const token = await deps.sessions.sign(updated.id);
    return c.json({ success: true as const, token, user: userView(updated) }, 200);
  });

  app.openapi(updateProfile, async (c) => {
    const principal = personOf(c, 'cannot change an account');
    const [updated] = await db
      .update(users)
      .set({ name: c.req.valid('json').name, updatedAt: new Date() })
      .where(eq(users.id, principal.userId))
      .returning();
    if (!updated) throw unauthorized();
    return c.json({ success: true as const, user: userView(updated) }, 200);
  });
}
