import type { organizations } from '../db/schema.ts';

type OrgRow = typeof organizations.$inferSelect;

/**
 * How long a membership (user, organization) → organization row and role is trusted without asking the database
 * again. Removing a member, changing a role or deleting an organization therefore takes effect within this time
 * in every process, and at once in the process that did it (`clear`).
 */
export const MEMBERSHIP_TTL_MS = 1000;
/** Most memberships remembered; the oldest goes first. */
const MAX_ENTRIES = 10_000;

export type Membership = { org: Readonly<OrgRow>; role: string };
type Entry = { value: Membership; until: number };

/** Memberships found by requireOrganization (non-members are never cached: they always ask the database). */
export class MembershipCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  /** Bumped by `clear`: an answer read before a clear is never stored after it. */
  private generation = 0;

  constructor(ttlMs = MEMBERSHIP_TTL_MS) {
    this.ttlMs = ttlMs;
  }

  get(userId: string, organizationId: string, now = Date.now()): Membership | undefined {
    const key = keyOf(userId, organizationId);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Call before reading the database; pass the result to `set` with the time the read started. */
  begin(): number {
    return this.generation;
  }

  /** Remembers a membership read at `readAt`, unless the cache was cleared since `begin` returned `generation`. */
  set(userId: string, organizationId: string, value: Membership, readAt: number, generation: number): void {
    if (generation !== this.generation) return;
    const key = keyOf(userId, organizationId);
    this.entries.delete(key);
    this.entries.set(key, {
      value: { org: Object.freeze({ ...value.org }), role: value.role },
      until: readAt + this.ttlMs,
    });
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Forgets everything: call after committing a change to memberships or organizations. */
  clear(): void {
    this.entries.clear();
    this.generation++;
  }
}

const keyOf = (userId: string, organizationId: string) => `${userId} ${organizationId}`;

const caches = new WeakMap<object, MembershipCache>();

/**
 * The cache of one database handle: a process has one, so this is the process's cache (and two test apps on
 * separate PostgreSQL pools get separate caches, as two processes would).
 */
export function membershipCacheFor(db: object): MembershipCache {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new MembershipCache()));
  return cache;
}
