import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { agents, llmKeys } from '../../db/schema.ts';
import type { AppDeps, AppEnv } from '../../http/env.ts';
import { badRequest } from '../../http/errors.ts';
import {
  AgentParams,
  commonErrors,
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
import { principalOf, requireAgent, requireProject } from '../access.ts';
import { DEFAULT_LLM_SETTINGS, LLM_PROVIDERS, type LlmSettings } from '../llm-settings.ts';
import { agentView } from '../serialize.ts';
import { descriptionField, nameField } from '../validation.ts';

const SYSTEM_PROMPT_MAX = 100_000;

const Parameters = z.object({
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).max(1_000_000).optional(),
});
const BaseUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });
const FallbackSchema = z
  .object({
    provider: z.enum(LLM_PROVIDERS),
    model: z.string().trim().min(1).max(200),
    base_url: BaseUrl.optional().openapi({
      description: 'Only without api_key (a stored key keeps its endpoint)',
    }),
    api_key: z
      .string()
      .max(64)
      .optional()
      .openapi({ description: 'Id of the project LLM key the fallback uses' }),
  })
  .openapi('LlmFallback', {
    description:
      'Provider and model tried when the primary fails after its retries (same key rules as the primary)',
  });
const LlmSettingsSchema = z
  .object({
    provider: z.enum(LLM_PROVIDERS),
    model: z.string().trim().min(1).max(200),
    base_url: BaseUrl.optional().openapi({
      description: 'Only without api_key (a stored key keeps its endpoint)',
    }),
    parameters: Parameters.default({}),
    fallback: FallbackSchema.optional(),
  })
  .openapi('LlmSettings');
const LlmSettingsPatch = z.object({
  provider: z.enum(LLM_PROVIDERS).optional(),
  model: z.string().trim().min(1).max(200).optional(),
  base_url: BaseUrl.nullable().optional(),
  parameters: Parameters.optional(),
  /** Replaces the whole fallback; null removes it. */
  fallback: FallbackSchema.nullable().optional(),
});

const AgentSchema = z
  .object({
    _id: z.string(),
    organization: z.string(),
    project: z.string(),
    name: z.string(),
    description: z.string(),
    system_prompt: z.string(),
    status: z.enum(['active', 'inactive']),
    llm_settings: LlmSettingsSchema,
    api_key: z.string().nullable().openapi({ description: 'Id of the project LLM key this agent uses' }),
    created_at: timestamp(),
    updated_at: timestamp(),
  })
  .openapi('Agent');
const One = oneOf(AgentSchema);
const tags = ['Agents'];
const base = '/api/v1/organizations/{orgId}/projects/{projectId}/agents';

const CreateBody = z.object({
  name: nameField(),
  description: descriptionField.optional(),
  system_prompt: z.string().max(SYSTEM_PROMPT_MAX).optional(),
  status: z.enum(['active', 'inactive']).optional(),
  llm_settings: LlmSettingsSchema.optional(),
  api_key: z.string().max(64).nullable().optional(),
});
const UpdateBody = CreateBody.partial().extend({ llm_settings: LlmSettingsPatch.optional() });

const create = createRoute({
  method: 'post',
  path: base,
  tags,
  summary: 'Create an agent (member or higher)',
  ...secured,
  request: { params: ProjectParams, ...jsonBody(CreateBody) },
  responses: { 201: json(One, 'Created'), ...commonErrors },
});
const list = createRoute({
  method: 'get',
  path: base,
  tags,
  summary: 'Agents of a project (viewer or higher)',
  ...secured,
  request: { params: ProjectParams, query: PageQuery },
  responses: {
    200: json(listOf(AgentSchema), 'Agents'),
    ...commonErrors,
  },
});
const get = createRoute({
  method: 'get',
  path: `${base}/{agentId}`,
  tags,
  summary: 'One agent (viewer or higher)',
  ...secured,
  request: { params: AgentParams },
  responses: { 200: json(One, 'Agent'), ...commonErrors },
});
const update = createRoute({
  method: 'put',
  path: `${base}/{agentId}`,
  tags,
  summary: 'Update an agent; llm_settings is merged field by field (member or higher)',
  ...secured,
  request: { params: AgentParams, ...jsonBody(UpdateBody) },
  responses: { 200: json(One, 'Updated'), ...commonErrors },
});
const remove = createRoute({
  method: 'delete',
  path: `${base}/{agentId}`,
  tags,
  summary: 'Delete an agent (member or higher)',
  ...secured,
  request: { params: AgentParams },
  responses: { 200: json(SuccessMessage, 'Deleted'), ...commonErrors },
});

/**
 * Checks one provider choice. A stored key is bound to its own endpoint, so an agent that names one may not set
 * base_url (an agent-level base_url is only for keyless servers); openai-compatible needs an endpoint from one of
 * the two. The key must be in the project and of the same provider. `at` names the settings object and `keyField`
 * the key field in error messages.
 */
async function checkProviderChoice(
  db: Db,
  projectId: string,
  choice: { provider: string; base_url?: string | undefined },
  keyId: string | null | undefined,
  at: string,
  keyField: string,
) {
  if (!keyId) {
    if (choice.provider === 'openai-compatible' && !choice.base_url) {
      throw badRequest(`Invalid body: ${at}.base_url: is required for the openai-compatible provider`);
    }
    return;
  }
  if (choice.base_url) {
    throw badRequest(
      `Invalid body: ${at}.base_url: not allowed with a stored key (${keyField}); the key is only sent to the ` +
        'endpoint stored with it',
    );
  }
  const [key] = await db
    .select({ provider: llmKeys.provider, baseUrl: llmKeys.baseUrl })
    .from(llmKeys)
    .where(and(eq(llmKeys.id, keyId), eq(llmKeys.projectId, projectId)))
    .limit(1);
  if (!key) throw badRequest(`Invalid body: ${keyField}: no LLM key with this id in this project`);
  if (key.provider !== choice.provider) {
    throw badRequest(
      `Invalid body: ${keyField}: this key is for ${key.provider}, but ${at}.provider is ${choice.provider}`,
    );
  }
  if (choice.provider === 'openai-compatible' && !key.baseUrl) {
    throw badRequest(`Invalid body: ${keyField}: this key has no base_url; store it again with its endpoint`);
  }
}

/** Checks settings that span fields, for the primary and the fallback alike. */
async function checkLlmSettings(db: Db, projectId: string, settings: LlmSettings, keyId: string | null) {
  await checkProviderChoice(db, projectId, settings, keyId, 'llm_settings', 'api_key');
  const fallback = settings.fallback;
  if (fallback) {
    await checkProviderChoice(
      db,
      projectId,
      fallback,
      fallback.api_key,
      'llm_settings.fallback',
      'llm_settings.fallback.api_key',
    );
  }
}

function mergeSettings(current: LlmSettings, patch: z.infer<typeof LlmSettingsPatch>): LlmSettings {
  const { base_url, parameters, fallback, ...rest } = patch;
  const merged: LlmSettings = { ...current, ...rest, parameters: { ...current.parameters, ...parameters } };
  if (base_url === null) delete merged.base_url;
  else if (base_url !== undefined) merged.base_url = base_url;
  if (fallback === null) delete merged.fallback;
  else if (fallback !== undefined) merged.fallback = fallback;
  return merged;
}

export function registerAgentRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { db } = deps.database;

  app.openapi(create, async (c) => {
    const { orgId, projectId } = c.req.valid('param');
    await requireProject(db, principalOf(c), orgId, projectId, 'member');
    const body = c.req.valid('json');
    const settings = body.llm_settings ?? DEFAULT_LLM_SETTINGS;
    await checkLlmSettings(db, projectId, settings, body.api_key ?? null);
    const [row] = await db
      .insert(agents)
      .values({
        id: newId('agent'),
        organizationId: orgId,
        projectId,
        name: body.name,
        description: body.description ?? '',
        systemPrompt: body.system_prompt ?? '',
        status: body.status ?? 'active',
        llmSettings: settings,
        llmKeyId: body.api_key ?? null,
      })
      .returning();
    if (!row) throw new Error('agent insert returned nothing');
    return c.json({ success: true as const, data: agentView(row) }, 201);
  });

  app.openapi(list, async (c) => {
    const { orgId, projectId } = c.req.valid('param');
    await requireProject(db, principalOf(c), orgId, projectId, 'viewer');
    const where = eq(agents.projectId, projectId);
    const page = await paginate(
      db,
      c.req.valid('query'),
      { table: agents, where },
      (limit, offset) =>
        db.select().from(agents).where(where).orderBy(desc(agents.id)).limit(limit).offset(offset),
      agentView,
    );
    return c.json({ success: true as const, ...page }, 200);
  });

  app.openapi(get, async (c) => {
    const p = c.req.valid('param');
    const { agent } = await requireAgent(db, principalOf(c), p.orgId, p.projectId, p.agentId, 'viewer');
    return c.json({ success: true as const, data: agentView(agent) }, 200);
  });

  app.openapi(update, async (c) => {
    const p = c.req.valid('param');
    const { agent } = await requireAgent(db, principalOf(c), p.orgId, p.projectId, p.agentId, 'member');
    const body = c.req.valid('json');
    const settings = body.llm_settings
      ? mergeSettings(agent.llmSettings, body.llm_settings)
      : agent.llmSettings;
    const keyId = body.api_key === undefined ? agent.llmKeyId : body.api_key;
    await checkLlmSettings(db, p.projectId, settings, keyId);
    const [row] = await db
      .update(agents)
      .set({
        name: body.name,
        description: body.description,
        systemPrompt: body.system_prompt,
        status: body.status,
        llmSettings: settings,
        llmKeyId: keyId,
        updatedAt: new Date(),
      })
      .where(eq(agents.id, agent.id))
      .returning();
    if (!row) throw new Error('agent vanished during update');
    return c.json({ success: true as const, data: agentView(row) }, 200);
  });

  app.openapi(remove, async (c) => {
    const p = c.req.valid('param');
    await requireAgent(db, principalOf(c), p.orgId, p.projectId, p.agentId, 'member');
    await db.delete(agents).where(eq(agents.id, p.agentId));
    return c.json({ success: true as const, message: 'Agent deleted' }, 200);
  });
}
