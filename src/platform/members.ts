import { and, eq } from 'drizzle-orm';
import { hasRole, isRole, type Role, weakerRole } from '../auth/roles.ts';
import type { Db } from '../db/client.ts';
import { paginate } from '../db/paginate.ts';
import { memberships, users } from '../db/schema.ts';
import { ApiError, forbidden, notFound } from '../http/errors.ts';
import { membershipCacheFor } from './membership-cache.ts';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Locks the organization's owner rows and returns their user ids, so "last owner" checks cannot race. */
async function lockOwners(tx: Tx, organizationId: string): Promise<string[]> {
  const rows = await tx
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.role, 'owner')))
    .for('update');
  return rows.map((r) => r.userId);
}

async function currentRole(tx: Tx, organizationId: string, userId: string): Promise<Role> {
  const [row] = await tx
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
    .for('update');
  if (!row || !isRole(row.role)) throw notFound('Member');
  return row.role;
}

const lastOwner = () => new ApiError(409, 'The last owner of an organization cannot be removed or demoted');

/** Rules every member change obeys: nobody grants or touches a role above their own. */
function assertCanGrant(actorRole: Role, role: Role): void {
  if (!hasRole(actorRole, role))
    throw forbidden(`You cannot grant the ${role} role; it is above your own (${actorRole})`);
}

/** The actor's role re-read under lock, so a concurrent demotion of the actor is seen. */
async function lockedActorRole(
  tx: Tx,
  organizationId: string,
  actorUserId: string,
  cap: Role,
): Promise<Role> {
  try {
    return weakerRole(await currentRole(tx, organizationId, actorUserId), cap);
  } catch {
    throw notFound('Organization');
  }
}

export async function changeMemberRole(
  db: Db,
  input: { organizationId: string; actorRole: Role; actorUserId: string; userId: string; role: Role },
): Promise<void> {
  await db.transaction(async (tx) => {
    const owners = await lockOwners(tx, input.organizationId);
    const actorRole = await lockedActorRole(tx, input.organizationId, input.actorUserId, input.actorRole);
    if (!hasRole(actorRole, 'admin')) throw forbidden('Only owners and admins can change roles');
    assertCanGrant(actorRole, input.role);
    const before = await currentRole(tx, input.organizationId, input.userId);
    assertCanGrant(actorRole, before);
    if (before === 'owner' && input.role !== 'owner' && owners.length <= 1) throw lastOwner();
    await tx
      .update(memberships)
      .set({ role: input.role, updatedAt: new Date() })
      .where(and(eq(memberships.organizationId, input.organizationId), eq(memberships.userId, input.userId)));
  });
  // After the commit, so no read of the old role can be cached again here; other processes within a second.
  membershipCacheFor(db).clear();
}

/** Removes a member. Admins remove others; anyone may leave; nobody removes the last owner. */
export async function removeMember(
  db: Db,
  input: {
    organizationId: string;
    actorRole: Role;
    actorUserId: string;
    userId: string;
    /** Organization tokens act for automation, not for a person deciding to leave. */
    viaOrganizationToken: boolean;
  },
): Promise<void> {
  const leaving = input.actorUserId === input.userId && !input.viaOrganizationToken;
  await db.transaction(async (tx) => {
    const owners = await lockOwners(tx, input.organizationId);
    const actorRole = await lockedActorRole(tx, input.organizationId, input.actorUserId, input.actorRole);
    if (!leaving && !hasRole(actorRole, 'admin'))
      throw forbidden('Only owners and admins can remove members');
    const before = await currentRole(tx, input.organizationId, input.userId);
    if (!leaving) assertCanGrant(actorRole, before);
    if (before === 'owner' && owners.length <= 1) throw lastOwner();
    await tx
      .delete(memberships)
      .where(and(eq(memberships.organizationId, input.organizationId), eq(memberships.userId, input.userId)));
  });
  membershipCacheFor(db).clear();
}

export async function listMembers(db: Db, organizationId: string, page: { page: number; limit: number }) {
  const where = eq(memberships.organizationId, organizationId);
  return paginate(
    db,
    page,
    { table: memberships, where },
    (limit, offset) =>
      db
        .select({
          user_id: users.id,
          email: users.email,
          name: users.name,
          role: memberships.role,
          joined_at: memberships.createdAt,
        })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(where)
        .orderBy(memberships.createdAt, users.id)
        .limit(limit)
        .offset(offset),
    (r) => ({ ...r, joined_at: r.joined_at.toISOString() }),
  );
}
