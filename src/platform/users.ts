import { eq } from 'drizzle-orm';
import { hashPassword } from '../auth/passwords.ts';
import type { Db } from '../db/client.ts';
import { users } from '../db/schema.ts';
import { conflict } from '../http/errors.ts';
import { newId } from '../ids.ts';

export type UserRow = typeof users.$inferSelect;

/** Emails are compared case-insensitively: stored trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(email)))
    .limit(1);
  return row;
}

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

/** Creates a user; 409 when the email is taken (enforced by a unique index, so concurrent sign-ups cannot both win). */
export async function createUser(
  db: Db,
  input: { email: string; name: string; password: string },
): Promise<UserRow> {
  const passwordHash = await hashPassword(input.password);
  const [row] = await db
    .insert(users)
    .values({ id: newId('user'), email: normalizeEmail(input.email), name: input.name.trim(), passwordHash })
    .onConflictDoNothing({ target: users.email })
    .returning();
  if (!row) throw conflict('A user with this email already exists');
  return row;
}
