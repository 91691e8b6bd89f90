import { describe, expect, it } from 'vitest';
import { PrincipalCache } from '../../src/auth/principal-cache.ts';

const principal = { userId: 'usr_1', via: 'personal_token' as const, tokenId: 'tok_1' };
const found = (value: typeof principal | undefined, expiresAt?: number) => async () => ({
  principal: value,
  ...(expiresAt !== undefined ? { expiresAt } : {}),
});

describe('PrincipalCache', () => {
  it('answers for one TTL, then misses so the database is asked again', async () => {
    const cache = new PrincipalCache(1000);
    expect(cache.get('sb_pat_a', 0)).toBe('miss');
    await cache.load('sb_pat_a', 0, found(principal));
    expect(cache.get('sb_pat_a', 999)).toEqual(principal);
    expect(cache.get('sb_pat_a', 1000)).toBe('miss');
  });

  it('remembers an invalid token as invalid, never past the token expiry, and forgets all on clear', async () => {
    const cache = new PrincipalCache(1000);
    await cache.load('sb_pat_bad', 0, found(undefined));
    expect(cache.get('sb_pat_bad', 10)).toBeUndefined();
    await cache.load('sb_pat_short', 0, found(principal, 300));
    expect(cache.get('sb_pat_short', 299)).toEqual(principal);
    expect(cache.get('sb_pat_short', 300)).toBe('miss');
    await cache.load('sb_pat_a', 0, found(principal));
    cache.clear();
    expect(cache.get('sb_pat_a', 1)).toBe('miss');
  });
});
