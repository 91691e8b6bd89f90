import { describe, expect, it } from 'vitest';
import {
  generateApiToken,
  hashApiToken,
  looksLikeApiToken,
  tokenDisplayPrefix,
} from '../../src/auth/api-token-secret.ts';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.ts';
import { hasRole, weakerRole } from '../../src/auth/roles.ts';
import { SessionTokens } from '../../src/auth/sessions.ts';
import { isId, newId } from '../../src/ids.ts';

describe('ids', () => {
  it('are prefixed and sort in creation order', () => {
    const ids = Array.from({ length: 500 }, () => newId('agent'));
    expect(ids.every((id) => isId('agent', id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(isId('org', ids[0] as string)).toBe(false);
  });
});

describe('passwords', () => {
  it('verify only the right password and salt each hash', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).not.toBe(b);
    expect(a.startsWith('scrypt$')).toBe(true);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'garbage')).toBe(false);
  });
});

describe('api token secrets', () => {
  it('have a recognisable shape, a stable hash and a short display prefix', () => {
    const pat = generateApiToken('pat');
    const org = generateApiToken('org');
    expect(pat).toMatch(/^sb_pat_[A-Za-z0-9]{43}$/);
    expect(org).toMatch(/^sb_org_[A-Za-z0-9]{43}$/);
    expect(looksLikeApiToken(pat)).toBe(true);
    expect(looksLikeApiToken('eyJhbGciOi.x.y')).toBe(false);
    expect(hashApiToken(pat)).toBe(hashApiToken(pat));
    expect(hashApiToken(pat)).not.toBe(hashApiToken(org));
    expect(tokenDisplayPrefix(pat)).toHaveLength(11);
    expect(pat.startsWith(tokenDisplayPrefix(pat))).toBe(true);
  });
});

describe('roles', () => {
  it('order owner > admin > member > viewer', () => {
    expect(hasRole('owner', 'admin')).toBe(true);
    expect(hasRole('admin', 'owner')).toBe(false);
    expect(hasRole('member', 'member')).toBe(true);
    expect(hasRole('viewer', 'member')).toBe(false);
    expect(weakerRole('owner', 'viewer')).toBe('viewer');
    expect(weakerRole('member', 'admin')).toBe('member');
  });
});

describe('session tokens', () => {
  it('round-trip the user id and reject tampering or another secret', async () => {
    const sessions = new SessionTokens('a'.repeat(32), 3600);
    const token = await sessions.sign('user_1');
    const verified = await sessions.verify(token);
    expect(verified?.userId).toBe('user_1');
    expect(Math.abs((verified?.issuedAtMs ?? 0) - Date.now())).toBeLessThan(5000);
    expect(await sessions.verify(`${token.slice(0, -2)}xx`)).toBeUndefined();
    expect(await new SessionTokens('b'.repeat(32), 3600).verify(token)).toBeUndefined();
  });
});
