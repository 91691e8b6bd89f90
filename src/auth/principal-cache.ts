import { hash } from 'node:crypto';
import type { Principal } from '../http/env.ts';

/**
 * How long a resolved bearer token is trusted without asking the database again. A revocation, a logout-all or
 * a password change in ANY process therefore takes effect within this time; in this process at once (see
 * `clear`).
 */
export const PRINCIPAL_TTL_MS = 1000;
/** Most tokens remembered; the oldest goes first. */
const MAX_ENTRIES = 10_000;

type Entry = { principal: Principal | undefined; until: number };

/**
 * Bearer token → principal (or "invalid"), for one second. Keys are SHA-256 digests, so the cache never holds a
 * usable token; entries never outlive the token's own expiry.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  /** Bumped by `clear`: an answer looked up before a revocation is never stored after it. */
  private generation = 0;

  constructor(ttlMs = PRINCIPAL_TTL_MS) {
    this.ttlMs = ttlMs;
  }

  /** The cached answer for `token`, `miss` when there is none fresh. */
  get(token: string, now = Date.now()): Principal | undefined | 'miss' {
    const key = digest(token);
    const entry = this.entries.get(key);
    if (!entry) return 'miss';
    if (entry.until <= now) {
      this.entries.delete(key);
      return 'miss';
    }
    return entry.principal;
  }

  /** Call before looking a token up; pass the result to `set`. */
  begin(): number {
    return this.generation;
  }

  /**
   * Remembers an answer looked up at `now`; `expiresAt` (ms) bounds the entry to the token's own lifetime. Nothing
   * is stored when the cache was cleared since `begin` returned `generation`.
   */
  set(
    token: string,
    principal: Principal | undefined,
    now = Date.now(),
    expiresAt = Infinity,
    generation = this.generation,
  ): void {
    if (generation !== this.generation) return;
    const until = Math.min(now + this.ttlMs, expiresAt);
    if (until <= now) return;
    const key = digest(token);
    this.entries.delete(key);
    this.entries.set(key, { principal, until });
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Forgets everything (a token was revoked, or sessions invalidated, in this process). */
  clear(): void {
    this.entries.clear();
    this.generation++;
  }
}

const digest = (token: string) => hash('sha256', token, 'base64url'); // one-shot: half of createHash's cost

const caches = new WeakMap<object, PrincipalCache>();

/**
 * The cache of one database handle, i.e. of the process (two test apps on separate PostgreSQL pools get separate
 * caches, as two processes would): authentication reads it, revocation clears it.
 */
export function principalCacheFor(db: object): PrincipalCache {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new PrincipalCache()));
  return cache;
}
