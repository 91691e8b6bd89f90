import type { organizations } from '../db/schema.ts';
import { FencedTtlCache, perHandle } from '../cache/fenced-ttl-cache.ts';

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

/** Memberships found by requireOrganization (non-members are never cached: they always ask the database). */
export class MembershipCache {
  private readonly cache: FencedTtlCache<Membership>;

  constructor(ttlMs = MEMBERSHIP_TTL_MS) {
    this.cache = new FencedTtlCache(ttlMs, MAX_ENTRIES);
  }

  get(userId: string, organizationId: string, now = Date.now()): Membership | undefined {
    return this.cache.get(keyOf(userId, organizationId), now)?.value;
  }

  /**
   * The membership: cached, else `read` — once for all concurrent callers (see FencedTtlCache.load). Only a
   * membership found is remembered.
   */
  load(
    userId: string,
    organizationId: string,
    now: number,
    read: () => Promise<Membership | undefined>,
  ): Promise<Membership | undefined> {
    return this.cache.load(keyOf(userId, organizationId), now, async () => {
      const value = await read();
      return value ? { value: frozen(value), remember: true } : { value, remember: false };
    });
  }

  /** Forgets everything: call after committing a change to memberships or organizations. */
  clear(): void {
    this.cache.clear();
  }
}

/** A copy callers cannot change under the cache. */
const frozen = (value: Membership): Membership => ({
  org: Object.freeze({ ...value.org }),
  role: value.role,
});

const keyOf = (userId: string, organizationId: string) => `${userId} ${organizationId}`;

/** The process's membership cache (per database handle). */
export const membershipCacheFor = perHandle(() => new MembershipCache());
