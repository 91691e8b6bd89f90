import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { and, desc, eq } from 'drizzle-orm';
import { weakerRole } from '../../auth/roles.ts';
import { agents, memberships, organizations } from '../../db/schema.ts';
import type { AppDeps, AppEnv } from '../../http/env.ts';
import {
  commonErrors,
  json,
  jsonBody,
  listOf,
  oneOf,
  OrgParams,
  PageQuery,
  RoleSchema,
  secured,
  timestamp,
  SuccessMessage,
} from '../../http/openapi.ts';
import { paginate } from '../../db/paginate.ts';
import { newId } from '../../ids.ts';
import { personOf, principalOf, requireOrganization } from '../access.ts';
import { membershipCacheFor } from '../membership-cache.ts';
import { organizationView } from '../serialize.ts';
import { descriptionField, nameField } from '../validation.ts';

const OrganizationSchema = z
  .object({
    _id: z.string(),
    name: z.string(),
    description: z.string(),
    role: RoleSchema.openapi({ description: 'Your role in this organization' }),
    created_at: timestamp(),
    updated_at: timestamp(),
  })
  .openapi('Organization');
const One = oneOf(OrganizationSchema);

const create = createRoute({
  method: 'post',
  path: '/api/v1/organizations',
  tags: ['Organizations'],
  summary: 'Create an organization; you become its owner',
  ...secured,
  request: jsonBody(z.object({ name: nameField(), description: descriptionField.optional() })),
  responses: { 201: json(One, 'Created'), ...commonErrors },
});
const list = createRoute({
  method: 'get',
  path: '/api/v1/organizations',
  tags: ['Organizations'],
  summary: 'Organizations you belong to',
  ...secured,
  request: { query: PageQuery },
  responses: {
    200: json(listOf(OrganizationSchema), 'Organizations'),
    ...commonErrors,
  },
});
const get = createRoute({
  method: 'get',
  path: '/api/v1/organizations/{orgId}',
  tags: ['Organizations'],
  summary: 'One organization (viewer or higher)',
  ...secured,
  request: { params: OrgParams },
  responses: { 200: json(One, 'Organization'), ...commonErrors },
});
const update = createRoute({
  method: 'put',
  path: '/api/v1/organizations/{orgId}',
  tags: ['Organizations'],
  summary: "Update an organization's name or description (admin or higher)",
  ...secured,
  request: {
    params: OrgParams,
    ...jsonBody(z.object({ name: nameField().optional(), description: descriptionField.optional() })),
  },
  responses: { 200: json(One, 'Updated'), ...commonErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/api/v1/organizations/{orgId}',
  tags: ['Organizations'],
  summary: 'Delete an organization with all its projects, agents, keys, tokens and memberships (owner only)',
  ...secured,
  request: { params: OrgParams },
  responses: { 200: json(SuccessMessage, 'Deleted'), ...commonErrors },
});

export function registerOrganizationRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { db } = deps.database;

  app.openapi(create, async (c) => {
    const principal = personOf(c, 'reach one organization only');
    const body = c.req.valid('json');
    const org = await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(organizations)
        .values({
          id: newId('org'),
          name: body.name,
          description: body.description ?? '',
          createdBy: principal.userId,
        })
        .returning();
      if (!row) throw new Error('organization insert returned nothing');
      await tx
        .insert(memberships)
        .values({ organizationId: row.id, userId: principal.userId, role: 'owner' });
      return row;
    });
    return c.json({ success: true as const, data: organizationView(org, 'owner') }, 201);
  });

  app.openapi(list, async (c) => {
    const principal = principalOf(c);
    const scope = principal.tokenOrganizationId
      ? and(
          eq(memberships.userId, principal.userId),
          eq(memberships.organizationId, principal.tokenOrganizationId),
        )
      : eq(memberships.userId, principal.userId);
    const page = await paginate(
      db,
      c.req.valid('query'),
      { table: memberships, where: scope },
      (limit, offset) =>
        db
          .select({ org: organizations, role: memberships.role })
          .from(memberships)
          .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
          .where(scope)
          .orderBy(desc(organizations.id))
          .limit(limit)
          .offset(offset),
      (r) => organizationView(r.org, principal.tokenRole ? weakerRole(r.role, principal.tokenRole) : r.role),
    );
    return c.json({ success: true as const, ...page }, 200);
  });

  app.openapi(get, async (c) => {
    const { org, role } = await requireOrganization(db, principalOf(c), c.req.valid('param').orgId, 'viewer');
    return c.json({ success: true as const, data: organizationView(org, role) }, 200);
  });

  app.openapi(update, async (c) => {
    const { orgId } = c.req.valid('param');
    const { role } = await requireOrganization(db, principalOf(c), orgId, 'admin');
    const body = c.req.valid('json');
    const [org] = await db
      .update(organizations)
      .set({ ...body, updatedAt: new Date() })
      .where(eq(organizations.id, orgId))
      .returning();
    membershipCacheFor(db).clear(); // cached rows hold the organization's name and description
    if (!org) throw new Error('organization vanished during update');
    return c.json({ success: true as const, data: organizationView(org, role) }, 200);
  });

  app.openapi(remove, async (c) => {
    const { orgId } = c.req.valid('param');
    await requireOrganization(db, principalOf(c), orgId, 'owner');
    await db.transaction(async (tx) => {
      // Agents first: they reference LLM keys with ON DELETE RESTRICT; everything else cascades from the org.
      await tx.delete(agents).where(eq(agents.organizationId, orgId));
      await tx.delete(organizations).where(eq(organizations.id, orgId));
    });
    membershipCacheFor(db).clear();
    return c.json({ success: true as const, message: 'Organization deleted' }, 200);
  });
}
