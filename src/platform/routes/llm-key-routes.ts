import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { and, desc, eq, or, sql } from 'drizzle-orm';
import { agents, llmKeys } from '../../db/schema.ts';
import type { AppDeps, AppEnv } from '../../http/env.ts';
import { conflict, notFound } from '../../http/errors.ts';
import {
  commonErrors,
  conflictError,
  idParam,
  json,
  jsonBody,
  listOf,
  oneOf,
  PageQuery,
  ProjectParams,
  secured,
  SuccessMessage,
  timestamp,
} from '../../http/openapi.ts';
import { paginate } from '../../db/paginate.ts';
import { newId } from '../../ids.ts';
import { principalOf, requireProject } from '../access.ts';
import { createLlmKey, LLM_KEY_PROVIDERS } from '../llm-keys.ts';
import { llmKeyView } from '../serialize.ts';
import { nameField } from '../validation.ts';

const LlmKeySchema = z
  .object({
    _id: z.string(),
    project: z.string(),
    name: z.string(),
    provider: z.string(),
    base_url: z
      .string()
      .nullable()
      .openapi({ description: "The only endpoint the key is sent to; null = provider's default" }),
    created_at: timestamp(),
  })
  .openapi('LlmKey');
const base = '/api/v1/organizations/{orgId}/projects/{projectId}/api-keys';
const KeyBaseUrl = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .refine((u) => !new URL(u).username && !new URL(u).password, 'must not contain user:password@');
const tags = ['LLM keys'];

const create = createRoute({
  method: 'post',
  path: base,
  tags,
  summary:
    'Store an LLM provider key bound to its provider and endpoint (admin or higher); the key is never returned',
  ...secured,
  request: {
    params: ProjectParams,
    ...jsonBody(
      z
        .object({
          name: nameField(100),
          provider: z.enum(LLM_KEY_PROVIDERS),
          base_url: KeyBaseUrl.optional().openapi({
            description: "The only endpoint this key is ever sent to; default: the provider's own API",
          }),
          key: z.string().trim().min(1).max(4096),
        })
        .refine((b) => b.provider !== 'openai-compatible' || b.base_url, {
          path: ['base_url'],
          message: 'is required for the openai-compatible provider',
        }),
    ),
  },
  responses: {
    201: json(oneOf(LlmKeySchema), 'Created'),
    ...commonErrors,
  },
});
const list = createRoute({
  method: 'get',
  path: base,
  tags,
  summary: "The project's LLM keys, without their secrets (viewer or higher)",
  ...secured,
  request: { params: ProjectParams, query: PageQuery },
  responses: {
    200: json(listOf(LlmKeySchema), 'Keys'),
    ...commonErrors,
  },
});
const remove = createRoute({
  method: 'delete',
  path: `${base}/{keyId}`,
  tags,
  summary: 'Delete an LLM key that no agent uses (admin or higher)',
  ...secured,
  request: { params: ProjectParams.extend({ keyId: idParam('keyId', 'llmkey') }) },
  responses: { 200: json(SuccessMessage, 'Deleted'), ...commonErrors, ...conflictError },
});

export function registerLlmKeyRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { db } = deps.database;

  app.openapi(create, async (c) => {
    const { orgId, projectId } = c.req.valid('param');
    await requireProject(db, principalOf(c), orgId, projectId, 'admin');
    const { base_url, ...body } = c.req.valid('json');
    const row = await createLlmKey(db, deps.vault, {
      id: newId('llmkey'),
      organizationId: orgId,
      projectId,
      baseUrl: base_url,
      ...body,
    });
    return c.json({ success: true as const, data: llmKeyView(row) }, 201);
  });

  app.openapi(list, async (c) => {
    const { orgId, projectId } = c.req.valid('param');
    await requireProject(db, principalOf(c), orgId, projectId, 'viewer');
    const where = eq(llmKeys.projectId, projectId);
    const page = await paginate(
      db,
      c.req.valid('query'),
      { table: llmKeys, where },
      (limit, offset) =>
        db.select().from(llmKeys).where(where).orderBy(desc(llmKeys.id)).limit(limit).offset(offset),
      llmKeyView,
    );
    return c.json({ success: true as const, ...page }, 200);
  });

  app.openapi(remove, async (c) => {
    const { orgId, projectId, keyId } = c.req.valid('param');
    await requireProject(db, principalOf(c), orgId, projectId, 'admin');
    const [key] = await db
      .select({ id: llmKeys.id })
      .from(llmKeys)
      .where(and(eq(llmKeys.id, keyId), eq(llmKeys.projectId, projectId)));
    if (!key) throw notFound('LLM key');
    // In use as an agent's key or as the key of its fallback (llm_settings.fallback.api_key).
    const users = await db
      .select({ id: agents.id })
      .from(agents)
      .where(
        and(
          eq(agents.projectId, projectId),
          or(eq(agents.llmKeyId, keyId), sql`${agents.llmSettings}->'fallback'->>'api_key' = ${keyId}`),
        ),
      )
      .limit(10);
    if (users.length) throw conflict(`This key is used by agents: ${users.map((u) => u.id).join(', ')}`);
    await db.delete(llmKeys).where(eq(llmKeys.id, keyId));
    return c.json({ success: true as const, message: 'LLM key deleted' }, 200);
  });
}
