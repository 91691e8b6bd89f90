import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { desc, eq } from 'drizzle-orm';
import { agents, projects } from '../../db/schema.ts';
import type { AppDeps, AppEnv } from '../../http/env.ts';
import {
  commonErrors,
  json,
  jsonBody,
  listOf,
  oneOf,
  OrgParams,
  PageQuery,
  ProjectParams,
  secured,
  SuccessMessage,
  timestamp,
} from '../../http/openapi.ts';
import { paginate } from '../../db/paginate.ts';
import { newId } from '../../ids.ts';
import { principalOf, requireOrganization, requireProject } from '../access.ts';
import { projectView } from '../serialize.ts';
import { descriptionField, nameField } from '../validation.ts';

const ProjectSchema = z
  .object({
    _id: z.string(),
    organization: z.string(),
    name: z.string(),
    description: z.string(),
    created_at: timestamp(),
    updated_at: timestamp(),
  })
  .openapi('Project');
const One = oneOf(ProjectSchema);
const tags = ['Projects'];

const create = createRoute({
  method: 'post',
  path: '/api/v1/organizations/{orgId}/projects',
  tags,
  summary: 'Create a project (member or higher)',
  ...secured,
  request: {
    params: OrgParams,
    ...jsonBody(z.object({ name: nameField(), description: descriptionField.optional() })),
  },
  responses: { 201: json(One, 'Created'), ...commonErrors },
});
const list = createRoute({
  method: 'get',
  path: '/api/v1/organizations/{orgId}/projects',
  tags,
  summary: 'Projects of an organization (viewer or higher)',
  ...secured,
  request: { params: OrgParams, query: PageQuery },
  responses: {
    200: json(listOf(ProjectSchema), 'Projects'),
    ...commonErrors,
  },
});
const get = createRoute({
  method: 'get',
  path: '/api/v1/organizations/{orgId}/projects/{projectId}',
  tags,
  summary: 'One project (viewer or higher)',
  ...secured,
  request: { params: ProjectParams },
  responses: { 200: json(One, 'Project'), ...commonErrors },
});
const update = createRoute({
  method: 'put',
  path: '/api/v1/organizations/{orgId}/projects/{projectId}',
  tags,
  summary: 'Update a project (member or higher)',
  ...secured,
  request: {
    params: ProjectParams,
    ...jsonBody(z.object({ name: nameField().optional(), description: descriptionField.optional() })),
  },
  responses: { 200: json(One, 'Updated'), ...commonErrors },
});
const remove = createRoute({
  method: 'delete',
  path: '/api/v1/organizations/{orgId}/projects/{projectId}',
  tags,
  summary: 'Delete a project with its agents and keys (admin or higher)',
  ...secured,
  request: { params: ProjectParams },
  responses: { 200: json(SuccessMessage, 'Deleted'), ...commonErrors },
});

export function registerProjectRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { db } = deps.database;

  app.openapi(create, async (c) => {
    const { orgId } = c.req.valid('param');
    await requireOrganization(db, principalOf(c), orgId, 'member');
    const body = c.req.valid('json');
    const [row] = await db
      .insert(projects)
      .values({
        id: newId('proj'),
        organizationId: orgId,
        name: body.name,
        description: body.description ?? '',
      })
      .returning();
    if (!row) throw new Error('project insert returned nothing');
    return c.json({ success: true as const, data: projectView(row) }, 201);
  });

  app.openapi(list, async (c) => {
    const { orgId } = c.req.valid('param');
    await requireOrganization(db, principalOf(c), orgId, 'viewer');
    const where = eq(projects.organizationId, orgId);
    const page = await paginate(
      db,
      c.req.valid('query'),
      { table: projects, where },
      (limit, offset) =>
        db.select().from(projects).where(where).orderBy(desc(projects.id)).limit(limit).offset(offset),
      projectView,
    );
    return c.json({ success: true as const, ...page }, 200);
  });

  app.openapi(get, async (c) => {
    const { orgId, projectId } = c.req.valid('param');
    const { project } = await requireProject(db, principalOf(c), orgId, projectId, 'viewer');
    return c.json({ success: true as const, data: projectView(project) }, 200);
  });

  app.openapi(update, async (c) => {
    const { orgId, projectId } = c.req.valid('param');
    await requireProject(db, principalOf(c), orgId, projectId, 'member');
    const [row] = await db
      .update(projects)
      .set({ ...c.req.valid('json'), updatedAt: new Date() })
      .where(eq(projects.id, projectId))
      .returning();
    if (!row) throw new Error('project vanished during update');
    return c.json({ success: true as const, data: projectView(row) }, 200);
  });

  app.openapi(remove, async (c) => {
    const { orgId, projectId } = c.req.valid('param');
    await requireProject(db, principalOf(c), orgId, projectId, 'admin');
    await db.transaction(async (tx) => {
      // Agents first: they reference the project's LLM keys, which the cascade removes too.
      await tx.delete(agents).where(eq(agents.projectId, projectId));
      await tx.delete(projects).where(eq(projects.id, projectId));
    });
    return c.json({ success: true as const, message: 'Project deleted' }, 200);
  });
}
