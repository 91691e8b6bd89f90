import { describe, expect, it } from 'vitest';
import { FencedTtlCache, type Loaded } from '../../src/cache/fenced-ttl-cache.ts';

/** A read the test finishes by hand, counting how often the source was asked. */
function source<V>() {
  const pending: { resolve: (loaded: Loaded<V>) => void; reject: (error: Error) => void }[] = [];
  const read = () =>
    new Promise<Loaded<V>>((resolve, reject) => {
      pending.push({ resolve, reject });
    });
  return { pending, read };
}

describe('FencedTtlCache.load', () => {
  it('asks the source once for every caller that misses while the read runs, then serves the entry', async () => {
    const cache = new FencedTtlCache<string>(1000, 10);
    const { pending, read } = source<string>();
    const herd = Array.from({ length: 50 }, (_, i) => cache.load('k', i, read));
    expect(pending).toHaveLength(1);
    pending[0]?.resolve({ value: 'v', remember: true });
    expect(await Promise.all(herd)).toEqual(Array(50).fill('v'));
    expect(await cache.load('k', 500, read)).toBe('v');
    expect(pending).toHaveLength(1);
    // Expired (the TTL counts from when the read started): asked again.
    void cache.load('k', 1000, read);
    expect(pending).toHaveLength(2);
  });

  it('never lets a caller after a clear join, nor store, a read that started before it', async () => {
    const cache = new FencedTtlCache<string>(1000, 10);
    const { pending, read } = source<string>();
    const before = cache.load('k', 0, read);
    cache.clear();
    const after = cache.load('k', 1, read);
    expect(pending).toHaveLength(2);
    pending[0]?.resolve({ value: 'stale', remember: true });
    pending[1]?.resolve({ value: 'fresh', remember: true });
    expect(await before).toBe('stale');
    expect(await after).toBe('fresh');
    expect(await cache.load('k', 2, read)).toBe('fresh');
  });

  it('shares a failure with those waiting, caches neither it nor an answer not to remember', async () => {
    const cache = new FencedTtlCache<string | undefined>(1000, 10);
    const { pending, read } = source<string | undefined>();
    const waiting = [cache.load('k', 0, read), cache.load('k', 1, read)];
    pending[0]?.reject(new Error('database down'));
    for (const result of waiting) await expect(result).rejects.toThrow('database down');
    const retry = cache.load('k', 2, read);
    expect(pending).toHaveLength(2);
    pending[1]?.resolve({ value: undefined, remember: false });
    expect(await retry).toBeUndefined();
    void cache.load('k', 3, read);
    expect(pending).toHaveLength(3);
  });

  it('does not join a read that has run longer than the TTL', () => {
    const cache = new FencedTtlCache<string>(1000, 10);
    const { pending, read } = source<string>();
    void cache.load('k', 0, read);
    void cache.load('k', 999, read);
    expect(pending).toHaveLength(1);
    void cache.load('k', 1000, read);
    expect(pending).toHaveLength(2);
  });
});
