import { describe, expect, it } from 'vitest';
import { PrincipalCache } from '../../src/auth/principal-cache.ts';

const principal = { userId: 'usr_1', via: 'personal_token' as const, tokenId: 'tok_1' };

describe('PrincipalCache', () => {
  it('answers for one TTL, then misses so the database is asked again', () => {
    const cache = new PrincipalCache(1000);
    expect(cache.get('sb_pat_a', 0)).toBe('miss');
    cache.set('sb_pat_a', principal, 0);
    expect(cache.get('sb_pat_a', 999)).toEqual(principal);
    expect(cache.get('sb_pat_a', 1000)).toBe('miss');
  });

  it('remembers an invalid token as invalid, never past the token expiry, and forgets all on clear', () => {
    const cache = new PrincipalCache(1000);
    cache.set('sb_pat_bad', undefined, 0);
    expect(cache.get('sb_pat_bad', 10)).toBeUndefined();
    cache.set('sb_pat_short', principal, 0, 300);
    expect(cache.get('sb_pat_short', 299)).toEqual(principal);
    expect(cache.get('sb_pat_short', 300)).toBe('miss');
    cache.set('sb_pat_a', principal, 0);
    cache.clear();
    expect(cache.get('sb_pat_a', 1)).toBe('miss');
  });
});
