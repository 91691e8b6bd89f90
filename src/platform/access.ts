import { and, eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { hasRole, isRole, type Role, weakerRole } from '../auth/roles.ts';
import type { Db } from '../db/client.ts';
import { agents, memberships, organizations, projects } from '../db/schema.ts';
import type { AppEnv, Principal } from '../http/env.ts';
import { forbidden, notFound, unauthorized } from '../http/errors.ts';
import { type Membership, membershipCacheFor } from './membership-cache.ts';

export type OrgRow = typeof organizations.$inferSelect;
export type ProjectRow = typeof projects.$inferSelect;
export type AgentRow = typeof agents.$inferSelect;

/** The authenticated caller; 401 if the route was reached without one. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get('principal');
  if (!principal) throw unauthorized();
  return principal;
}

/**
 * The caller, when it acts as a person (session or personal token). Organization tokens are automation
 * confined to one organization: `refusal` says what they cannot do.
 */
export function personOf(c: Context<AppEnv>, refusal: string): Principal {
  const principal = principalOf(c);
  if (principal.via === 'organization_token') {
    throw forbidden(`Organization API tokens ${refusal}; use a session or personal token`);
  }
  return principal;
}

/**
 * Loads an organization the caller may act on with at least `minimum`, in one query, or none when the caller's
 * membership was read in the last second (membership-cache.ts: changes reach every process within a second).
 * Non-members get 404 (never a hint that it exists); members below `minimum` get 403.
 * An organization token reaches only its own organization, at the weaker of its role and its creator's.
 */
export async function requireOrganization(
  db: Db,
  principal: Principal,
  organizationId: string,
  minimum: Role,
): Promise<{ org: OrgRow; role: Role }> {
  if (principal.tokenOrganizationId !== undefined && principal.tokenOrganizationId !== organizationId) {
    throw notFound('Organization');
  }
  const row = await membershipOf(db, principal.userId, organizationId);
  if (!row || !isRole(row.role)) throw notFound('Organization');
  const role = principal.tokenRole ? weakerRole(row.role, principal.tokenRole) : row.role;
  if (!hasRole(role, minimum)) {
    throw forbidden(
      `This action requires the ${minimum} role or higher in this organization; yours is ${role}`,
    );
  }
  return { org: row.org, role };
}

/** The caller's membership and its organization: from the cache, else one query shared by concurrent callers. */
async function membershipOf(db: Db, userId: string, organizationId: string): Promise<Membership | undefined> {
  return membershipCacheFor(db).load(userId, organizationId, Date.now(), async () => {
    const [row] = await db
      .select({ org: organizations, role: memberships.role })
      .from(memberships)
      .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
      .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
      .limit(1);
    return row;
  });
}

/** Loads a project of an organization the caller may act on with at least `minimum`. */
export async function requireProject(
  db: Db,
  principal: Principal,
  organizationId: string,
  projectId: string,
  minimum: Role,
): Promise<{ org: OrgRow; role: Role; project: ProjectRow }> {
  const access = await requireOrganization(db, principal, organizationId, minimum);
  const [project] = await db
    .select()
    .from(projects)
    .where(and(eq(projects.id, projectId), eq(projects.organizationId, organizationId)))
    .limit(1);
  if (!project) throw notFound('Project');
  return { ...access, project };
}

/** Loads an agent of a project the caller may act on with at least `minimum`. */
export async function requireAgent(
  db: Db,
  principal: Principal,
  organizationId: string,
  projectId: string,
  agentId: string,
  minimum: Role,
): Promise<{ org: OrgRow; role: Role; project: ProjectRow; agent: AgentRow }> {
  const access = await requireProject(db, principal, organizationId, projectId, minimum);
  const [agent] = await db
    .select()
    .from(agents)
    .where(and(eq(agents.id, agentId), eq(agents.projectId, projectId)))
    .limit(1);
  if (!agent) throw notFound('Agent');
  return { ...access, agent };
}
