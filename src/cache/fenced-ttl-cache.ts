/**
 * What a `load` read found: a value to remember (until `expiresAt` at the latest), or one not to remember — which
 * may be `undefined` ("not found") even when the cache holds no such value.
 */
export type Loaded<V> =
  { value: V; remember: true; expiresAt?: number } | { value: V | undefined; remember: false };

/**
 * A bounded map whose entries live for a fixed time from when their value was read, with a fence against races:
 * `clear` bumps a generation, and a value whose read began before the clear is never stored after it.
 * The oldest entry goes first when full. `load` reads a missing key once for all who ask at the same time.
 */
export class FencedTtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  /** Reads under way, by key: callers that miss while one runs share it (until a `clear`). */
  private readonly reading = new Map<string, { started: number; result: Promise<V | undefined> }>();
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

  /** Stores a value read at `readAt`, for the TTL but never past `expiresAt`, unless cleared since `generation`. */
  private set(key: string, value: V, readAt: number, generation: number, expiresAt = Infinity): void {
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

  /**
   * The fresh value for `key`, else the result of `read` — one read for every caller that misses while it runs
   * (a herd of requests arriving as an entry expires asks the source once). A read started before a `clear`, or
   * longer ago than the TTL, is never joined: such callers start their own.
   */
  load(key: string, now: number, read: () => Promise<Loaded<V>>): Promise<V | undefined> {
    const entry = this.get(key, now);
    if (entry) return Promise.resolve(entry.value);
    const running = this.reading.get(key);
    if (running && now - running.started < this.ttlMs) return running.result;
    const generation = this.generation;
    const result = read().then((loaded) => {
      if (loaded.remember) this.set(key, loaded.value, now, generation, loaded.expiresAt);
      return loaded.value;
    });
    const reading = { started: now, result };
    this.reading.set(key, reading);
    const done = () => {
      if (this.reading.get(key) === reading) this.reading.delete(key);
    };
    result.then(done, done);
    return result;
  }

  /** Forgets everything, and fences out reads that started before. */
  clear(): void {
    this.entries.clear();
    this.reading.clear();
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
