import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppDeps, AppEnv } from '../../http/env.ts';
import { unauthorized } from '../../http/errors.ts';
import {
  commonErrors,
  idParam,
  json,
  listOf,
  OrgParams,
  PageQuery,
  RoleSchema,
  secured,
  SuccessMessage,
  timestamp,
} from '../../http/openapi.ts';
import { personOf, principalOf, requireOrganization } from '../access.ts';
import { answerInvitation, cancelInvitation, invitationsFor, listInvitations } from '../invitations.ts';
import { findUserById } from '../users.ts';

export const InvitationSchema = z
  .object({
    _id: z.string(),
    organization: z.string(),
    email: z.string(),
    role: RoleSchema,
    status: z.enum(['pending', 'expired']),
    expires_at: timestamp(),
    created_at: timestamp(),
  })
  .openapi('Invitation');
const tags = ['Invitations'];
const InvitationParam = z.object({ invitationId: idParam('invitationId', 'inv') });

const orgList = createRoute({
  method: 'get',
  path: '/api/v1/organizations/{orgId}/invitations',
  tags,
  summary: 'Invitations of an organization, pending and expired (admin or higher)',
  ...secured,
  request: { params: OrgParams, query: PageQuery },
  responses: { 200: json(listOf(InvitationSchema), 'Invitations'), ...commonErrors },
});
const orgCancel = createRoute({
  method: 'delete',
  path: '/api/v1/organizations/{orgId}/invitations/{invitationId}',
  tags,
  summary: 'Cancel an invitation (admin or higher)',
  ...secured,
  request: { params: OrgParams.extend(InvitationParam.shape) },
  responses: { 200: json(SuccessMessage, 'Cancelled'), ...commonErrors },
});
const mine = createRoute({
  method: 'get',
  path: '/api/v1/auth/invitations',
  tags,
  summary: "The caller's open invitations (to their account's email)",
  ...secured,
  responses: {
    200: json(
      z.object({
        success: z.literal(true),
        data: z.array(InvitationSchema.extend({ organization_name: z.string() })),
      }),
      'Invitations',
    ),
    ...commonErrors,
  },
});
const answer = (verb: 'accept' | 'decline') =>
  createRoute({
    method: 'post',
    path: `/api/v1/auth/invitations/{invitationId}/${verb}`,
    tags,
    summary:
      verb === 'accept'
        ? 'Accept an invitation: join its organization with its role'
        : 'Decline an invitation',
    ...secured,
    request: { params: InvitationParam },
    responses: {
      200: json(
        z.object({
          success: z.literal(true),
          data: z.object({ organization: z.string(), role: RoleSchema }),
        }),
        verb === 'accept' ? 'Joined' : 'Declined',
      ),
      ...commonErrors,
    },
  });

/** Admins see and cancel their organization's invitations; a person sees, accepts or declines their own. */
export function registerInvitationRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { db } = deps.database;

  app.openapi(orgList, async (c) => {
    const { orgId } = c.req.valid('param');
    await requireOrganization(db, principalOf(c), orgId, 'admin');
    return c.json(
      { success: true as const, ...(await listInvitations(db, orgId, c.req.valid('query'))) },
      200,
    );
  });

  app.openapi(orgCancel, async (c) => {
    const { orgId, invitationId } = c.req.valid('param');
    await requireOrganization(db, principalOf(c), orgId, 'admin');
    await cancelInvitation(db, orgId, invitationId);
    return c.json({ success: true as const, message: 'Invitation cancelled' }, 200);
  });

  const caller = async (c: Parameters<typeof personOf>[0]) => {
    const principal = personOf(c, 'cannot answer invitations');
    const user = await findUserById(db, principal.userId);
    if (!user) throw unauthorized();
    return user;
  };

  app.openapi(mine, async (c) => {
    const user = await caller(c);
    return c.json({ success: true as const, data: await invitationsFor(db, user.email) }, 200);
  });

  for (const verb of ['accept', 'decline'] as const) {
    app.openapi(answer(verb), async (c) => {
      const user = await caller(c);
      const { invitationId } = c.req.valid('param');
      const result = await answerInvitation(db, {
        invitationId,
        userId: user.id,
        email: user.email,
        accept: verb === 'accept',
      });
      return c.json(
        { success: true as const, data: { organization: result.organizationId, role: result.role } },
        200,
      );
    });
  }
}
