import { and, desc, eq, gt, sql } from 'drizzle-orm';
import { hasRole, type Role } from '../auth/roles.ts';
import type { Db } from '../db/client.ts';
import { paginate } from '../db/paginate.ts';
import { invitations, memberships, organizations, users } from '../db/schema.ts';
import { conflict, forbidden, notFound } from '../http/errors.ts';
import { newId } from '../ids.ts';

/**
 * Membership by invitation: adding someone by email creates (or renews) a pending invitation and answers the same
 * whether or not anyone has that email; the person joins only by accepting it, signed in under that email.
 */

export const invitationView = (row: typeof invitations.$inferSelect, now = Date.now()) => ({
  _id: row.id,
  organization: row.organizationId,
  email: row.email,
  role: row.role,
  status: row.expiresAt.getTime() > now ? ('pending' as const) : ('expired' as const),
  expires_at: row.expiresAt.toISOString(),
  created_at: row.createdAt.toISOString(),
});

/** Invites `email` with `role` (never above the inviter's); renews an open invitation for the same email. */
export async function inviteMember(
  db: Db,
  input: {
    organizationId: string;
    actorRole: Role;
    actorUserId: string;
    email: string;
    role: Role;
    ttlSeconds: number;
  },
) {
  if (!hasRole(input.actorRole, input.role)) {
    throw forbidden(`You cannot grant the ${input.role} role; it is above your own (${input.actorRole})`);
  }
  // Members are listed to admins anyway, so saying so reveals nothing about who is registered.
  const [member] = await db
    .select({ userId: memberships.userId })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.organizationId, input.organizationId), eq(users.email, input.email)))
    .limit(1);
  if (member) throw conflict('This user is already a member of the organization');
  const expiresAt = new Date(Date.now() + input.ttlSeconds * 1000);
  const [row] = await db
    .insert(invitations)
    .values({
      id: newId('inv'),
      organizationId: input.organizationId,
      email: input.email,
      role: input.role,
      invitedBy: input.actorUserId,
      expiresAt,
    })
    .onConflictDoUpdate({
      target: [invitations.organizationId, invitations.email],
      set: { role: input.role, invitedBy: input.actorUserId, expiresAt, createdAt: sql`now()` },
    })
    .returning();
  if (!row) throw new Error('invitation insert returned nothing');
  return row;
}

/** An organization's invitations (pending and expired), newest first. */
export function listInvitations(db: Db, organizationId: string, page: { page: number; limit: number }) {
  const where = eq(invitations.organizationId, organizationId);
  return paginate(
    db,
    page,
    { table: invitations, where },
    (limit, offset) =>
      db.select().from(invitations).where(where).orderBy(desc(invitations.id)).limit(limit).offset(offset),
    (row) => invitationView(row),
  );
}

/** Cancels an invitation of the organization; 404 when there is none. */
export async function cancelInvitation(db: Db, organizationId: string, invitationId: string): Promise<void> {
  const gone = await db
    .delete(invitations)
    .where(and(eq(invitations.id, invitationId), eq(invitations.organizationId, organizationId)))
    .returning({ id: invitations.id });
  if (gone.length === 0) throw notFound('Invitation');
}

/** The open invitations addressed to a user's email, with the organization's name. */
export async function invitationsFor(db: Db, email: string) {
  const rows = await db
    .select({ invitation: invitations, organizationName: organizations.name })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
    .where(and(eq(invitations.email, email), gt(invitations.expiresAt, new Date())))
    .orderBy(desc(invitations.id))
    .limit(100);
  return rows.map((r) => ({ ...invitationView(r.invitation), organization_name: r.organizationName }));
}

/**
 * Accepts (creating the membership) or declines an open invitation addressed to `email`. Someone else's, an
 * expired or an unknown invitation are the same 404.
 */
export async function answerInvitation(
  db: Db,
  input: { invitationId: string; userId: string; email: string; accept: boolean },
): Promise<{ organizationId: string; role: Role }> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .delete(invitations)
      .where(
        and(
          eq(invitations.id, input.invitationId),
          eq(invitations.email, input.email),
          gt(invitations.expiresAt, new Date()),
        ),
      )
      .returning();
    if (!row) throw notFound('Invitation');
    if (input.accept) {
      await tx
        .insert(memberships)
        .values({ organizationId: row.organizationId, userId: input.userId, role: row.role })
        .onConflictDoNothing();
    }
    return { organizationId: row.organizationId, role: row.role };
  });
}
