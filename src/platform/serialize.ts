import type { Role } from '../auth/roles.ts';
import type { apiTokens, llmKeys, users } from '../db/schema.ts';
import type { AgentRow, OrgRow, ProjectRow } from './access.ts';

/** Row → API shapes. Field names follow the spec: `_id`, snake_case, references by id. Never includes secrets. */

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function userView(u: typeof users.$inferSelect) {
  return { _id: u.id, email: u.email, name: u.name, created_at: u.createdAt.toISOString() };
}

export function organizationView(o: OrgRow, role: Role) {
  return {
    _id: o.id,
    name: o.name,
    description: o.description,
    role,
    created_at: o.createdAt.toISOString(),
    updated_at: o.updatedAt.toISOString(),
  };
}

export function projectView(p: ProjectRow) {
  return {
    _id: p.id,
    organization: p.organizationId,
    name: p.name,
    description: p.description,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

export function agentView(a: AgentRow) {
  return {
    _id: a.id,
    organization: a.organizationId,
    project: a.projectId,
    name: a.name,
    description: a.description,
    system_prompt: a.systemPrompt,
    status: a.status,
    llm_settings: a.llmSettings,
    api_key: a.llmKeyId,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  };
}

export function llmKeyView(k: typeof llmKeys.$inferSelect) {
  return {
    _id: k.id,
    project: k.projectId,
    name: k.name,
    provider: k.provider,
    base_url: k.baseUrl,
    created_at: k.createdAt.toISOString(),
  };
}

export function apiTokenView(t: typeof apiTokens.$inferSelect) {
  return {
    _id: t.id,
    name: t.name,
    kind: t.organizationId ? ('organization' as const) : ('personal' as const),
    organization: t.organizationId,
    role: t.role,
    token_prefix: t.tokenPrefix,
    expires_at: iso(t.expiresAt),
    last_used_at: iso(t.lastUsedAt),
    revoked_at: iso(t.revokedAt),
    created_at: t.createdAt.toISOString(),
  };
}
