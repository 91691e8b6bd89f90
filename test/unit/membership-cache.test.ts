import { describe, expect, it } from 'vitest';
import { PrincipalCache } from '../../src/auth/principal-cache.ts';
import { MembershipCache, membershipCacheFor } from '../../src/platform/membership-cache.ts';

const org = {
  id: 'org_1',
  name: 'Org',
  description: '',
  createdBy: 'usr_1',
  createdAt: new Date(0),
  updatedAt: new Date(0),
};

describe('MembershipCache', () => {
  it('answers for one TTL from the time the read started, per (user, organization)', () => {
    const cache = new MembershipCache(1000);
    cache.set('usr_1', 'org_1', { org, role: 'admin' }, 0, cache.begin());
    expect(cache.get('usr_1', 'org_1', 999)?.role).toBe('admin');
    expect(cache.get('usr_2', 'org_1', 999)).toBeUndefined();
    expect(cache.get('usr_1', 'org_2', 999)).toBeUndefined();
    expect(cache.get('usr_1', 'org_1', 1000)).toBeUndefined();
  });

  it('never stores a read that started before a clear (a write committed meanwhile)', () => {
    const cache = new MembershipCache(1000);
    const generation = cache.begin();
    cache.clear();
    cache.set('usr_1', 'org_1', { org, role: 'owner' }, 0, generation);
    expect(cache.get('usr_1', 'org_1', 1)).toBeUndefined();
    cache.set('usr_1', 'org_1', { org, role: 'viewer' }, 0, cache.begin());
    expect(cache.get('usr_1', 'org_1', 1)?.role).toBe('viewer');
    cache.clear();
    expect(cache.get('usr_1', 'org_1', 1)).toBeUndefined();
  });

  it('hands out a frozen copy, so no caller can change what the next request sees', () => {
    const cache = new MembershipCache(1000);
    const row = { ...org };
    cache.set('usr_1', 'org_1', { org: row, role: 'admin' }, 0, cache.begin());
    row.name = 'changed by the caller';
    const cached = cache.get('usr_1', 'org_1', 1);
    expect(cached?.org.name).toBe('Org');
    expect(Object.isFrozen(cached?.org)).toBe(true);
  });

  it('is one cache per database handle', () => {
    const a = {};
    expect(membershipCacheFor(a)).toBe(membershipCacheFor(a));
    expect(membershipCacheFor(a)).not.toBe(membershipCacheFor({}));
  });
});

describe('PrincipalCache and revocation races', () => {
  it('drops a lookup that started before a clear', () => {
    const cache = new PrincipalCache(1000);
    const generation = cache.begin();
    cache.clear();
    cache.set(
      'sb_pat_a',
      { userId: 'usr_1', via: 'personal_token', tokenId: 'tok_1' },
      0,
      Infinity,
      generation,
    );
    expect(cache.get('sb_pat_a', 1)).toBe('miss');
  });
});
