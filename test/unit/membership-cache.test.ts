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

/** A read the test finishes by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('MembershipCache', () => {
  it('answers for one TTL from the time the read started, per (user, organization)', async () => {
    const cache = new MembershipCache(1000);
    await cache.load('usr_1', 'org_1', 0, async () => ({ org, role: 'admin' }));
    expect(cache.get('usr_1', 'org_1', 999)?.role).toBe('admin');
    expect(cache.get('usr_2', 'org_1', 999)).toBeUndefined();
    expect(cache.get('usr_1', 'org_2', 999)).toBeUndefined();
    expect(cache.get('usr_1', 'org_1', 1000)).toBeUndefined();
  });

  it('never stores a read that started before a clear (a write committed meanwhile)', async () => {
    const cache = new MembershipCache(1000);
    const read = deferred<{ org: typeof org; role: string }>();
    const before = cache.load('usr_1', 'org_1', 0, () => read.promise);
    cache.clear();
    read.resolve({ org, role: 'owner' });
    await before;
    expect(cache.get('usr_1', 'org_1', 1)).toBeUndefined();
    await cache.load('usr_1', 'org_1', 0, async () => ({ org, role: 'viewer' }));
    expect(cache.get('usr_1', 'org_1', 1)?.role).toBe('viewer');
    cache.clear();
    expect(cache.get('usr_1', 'org_1', 1)).toBeUndefined();
  });

  it('hands out a frozen copy, so no caller can change what the next request sees', async () => {
    const cache = new MembershipCache(1000);
    const row = { ...org };
    await cache.load('usr_1', 'org_1', 0, async () => ({ org: row, role: 'admin' }));
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
  it('drops a lookup that started before a clear', async () => {
    const cache = new PrincipalCache(1000);
    const read = deferred<{ principal: { userId: string; via: 'personal_token'; tokenId: string } }>();
    const before = cache.load('sb_pat_a', 0, () => read.promise);
    cache.clear();
    read.resolve({ principal: { userId: 'usr_1', via: 'personal_token', tokenId: 'tok_1' } });
    await before;
    expect(cache.get('sb_pat_a', 1)).toBe('miss');
  });
});
