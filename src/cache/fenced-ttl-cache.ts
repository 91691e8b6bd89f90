/**
 * A bounded map whose entries live for a fixed time from when their value was read, with a fence against races:
 * `clear` bumps a generation, and a value read before the clear (`begin` taken earlier) is never stored after it.
 * The oldest entry goes first when full.
 */
export class FencedTtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private generation = 0;

  constructor(ttlMs: number, maxEntries: number) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
  }

  /** The fresh entry for `key` (its value may itself be undefined), or undefined when there is none. */
  get(key: string, now: number): { value: V } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until > now) return entry;
    this.entries.delete(key);
    return undefined;
  }

  /** Call before reading the source; pass the result to `set`. */
  begin(): number {
    return this.generation;
  }

  /** Stores a value read at `readAt`, for the TTL but never past `expiresAt`, unless cleared since `begin`. */
  set(key: string, value: V, readAt: number, generation: number, expiresAt = Infinity): void {
    if (generation !== this.generation) return;
    const until = Math.min(readAt + this.ttlMs, expiresAt);
    if (until <= readAt) return;
    this.entries.delete(key);
    this.entries.set(key, { value, until });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Forgets everything, and fences out reads that started before. */
  clear(): void {
    this.entries.clear();
    this.generation++;
  }
}

/**
 * One cache per database handle, i.e. per process (two test apps on separate PostgreSQL pools get separate caches,
 * as two processes would).
 */
export function perHandle<C>(make: () => C): (handle: object) => C {
  const caches = new WeakMap<object, C>();
  return (handle) => {
    let cache = caches.get(handle);
    if (!cache) caches.set(handle, (cache = make()));
    return cache;
  };
}
