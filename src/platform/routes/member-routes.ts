import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../../http/env.ts';
import {
  commonErrors,
  conflictError,
  idParam,
  json,
  jsonBody,
  listOf,
  OrgParams,
  PageQuery,
  RoleSchema,
  secured,
  SuccessMessage,
  timestamp,
} from '../../http/openapi.ts';
import { principalOf, requireOrganization } from '../access.ts';
import { invitationView, inviteMember } from '../invitations.ts';
import { changeMemberRole, listMembers, removeMember } from '../members.ts';
import { InvitationSchema } from './invitation-routes.ts';
import { normalizeEmail } from '../users.ts';
import { emailField } from '../validation.ts';

const MemberSchema = z
  .object({
    user_id: z.string(),
    email: z.string(),
    name: z.string(),
    role: RoleSchema,
    joined_at: timestamp(),
  })
  .openapi('Member');
const MemberParams = OrgParams.extend({ userId: idParam('userId', 'user') });

const list = createRoute({
  method: 'get',
  path: '/api/v1/organizations/{orgId}/members',
  tags: ['Members'],
  summary: 'Members of an organization (viewer or higher)',
  ...secured,
  request: { params: OrgParams, query: PageQuery },
  responses: {
    200: json(listOf(MemberSchema), 'Members'),
    ...commonErrors,
  },
});
const add = createRoute({
  method: 'post',
  path: '/api/v1/organizations/{orgId}/members',
  tags: ['Members'],
  summary:
    'Invite someone by email (admin or higher; never above your own role). They join only when they accept; ' +
    'the answer is the same whether or not the email is registered',
  ...secured,
  request: { params: OrgParams, ...jsonBody(z.object({ email: emailField, role: RoleSchema })) },
  responses: {
    201: json(
      z.object({ success: z.literal(true), message: z.string(), data: InvitationSchema }),
      'Invitation created (or renewed)',
    ),
    ...commonErrors,
    ...conflictError,
  },
});
const update = createRoute({
  method: 'put',
  path: '/api/v1/organizations/{orgId}/members/{userId}',
  tags: ['Members'],
  summary: "Change a member's role (admin or higher; the last owner cannot be demoted)",
  ...secured,
  request: { params: MemberParams, ...jsonBody(z.object({ role: RoleSchema })) },
  responses: { 200: json(SuccessMessage, 'Updated'), ...commonErrors, ...conflictError },
});
const remove = createRoute({
  method: 'delete',
  path: '/api/v1/organizations/{orgId}/members/{userId}',
  tags: ['Members'],
  summary: 'Remove a member (admin or higher), or leave yourself; the last owner cannot be removed',
  ...secured,
  request: { params: MemberParams },
  responses: { 200: json(SuccessMessage, 'Removed'), ...commonErrors, ...conflictError },
});

export function registerMemberRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { db } = deps.database;

  app.openapi(list, async (c) => {
    const { orgId } = c.req.valid('param');
    await requireOrganization(db, principalOf(c), orgId, 'viewer');
    return c.json({ success: true as const, ...(await listMembers(db, orgId, c.req.valid('query'))) }, 200);
  });

  app.openapi(add, async (c) => {
    const { orgId } = c.req.valid('param');
    const body = c.req.valid('json');
    const principal = principalOf(c);
    const { role: actorRole } = await requireOrganization(db, principal, orgId, 'admin');
    const invitation = await inviteMember(db, {
      organizationId: orgId,
      actorRole,
      actorUserId: principal.userId,
      email: normalizeEmail(body.email),
      role: body.role,
      ttlSeconds: deps.config.INVITATION_TTL,
    });
    return c.json(
      {
        success: true as const,
        message: 'Invitation sent; they join when they accept it',
        data: invitationView(invitation),
      },
      201,
    );
  });

  app.openapi(update, async (c) => {
    const principal = principalOf(c);
    const { orgId, userId } = c.req.valid('param');
    const { role: actorRole } = await requireOrganization(db, principal, orgId, 'admin');
    await changeMemberRole(db, {
      organizationId: orgId,
      actorRole,
      actorUserId: principal.userId,
      userId,
      role: c.req.valid('json').role,
    });
    return c.json({ success: true as const, message: 'Member role updated' }, 200);
  });

  app.openapi(remove, async (c) => {
    const principal = principalOf(c);
    const { orgId, userId } = c.req.valid('param');
    const { role: actorRole } = await requireOrganization(db, principal, orgId, 'viewer');
    await removeMember(db, {
      organizationId: orgId,
      actorRole,
      actorUserId: principal.userId,
      userId,
      viaOrganizationToken: principal.via === 'organization_token',
    });
    return c.json({ success: true as const, message: 'Member removed' }, 200);
  });
}
