import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalCacheFor } from '../../src/auth/principal-cache.ts';
import { type Database, openDatabase } from '../../src/db/client.ts';
import { membershipCacheFor } from '../../src/platform/membership-cache.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { testDatabaseKind } from '../helpers/database.ts';
import { addMember, createOrg, registerUser, type TestUser } from '../helpers/fixtures.ts';

/**
 * Token and membership lookups are cached per process for at most a second. Two app instances on one database
 * (on PostgreSQL each with its own pool, hence its own caches, as two processes; on PGlite, one process by
 * design, they share the database handle and so the caches): a revocation or a removal made through `writer`
 * takes effect there at once and on `reader` within the cache's TTL.
 */
let writer: TestApp;
let reader: TestApp;
let readerDb: Database | undefined;
let owner: TestUser;
let member: TestUser;
let orgId: string;

beforeAll(async () => {
  writer = await startTestApp();
  if (testDatabaseKind() === 'postgres') {
    readerDb = await openDatabase({ kind: 'postgres', url: writer.database.url as string, poolMax: 3 });
  }
  reader = await startTestApp({}, undefined, { database: readerDb ?? writer.database });
  owner = await registerUser(writer, 'cache-owner');
  member = await registerUser(writer, 'cache-member');
  orgId = await createOrg(writer, owner, 'Cached');
  await addMember(writer, owner, orgId, member, 'member');
});
afterAll(async () => {
  await reader?.close();
  await readerDb?.close();
  await writer?.close();
});

const readOrg = (app: TestApp, token: string) => app.call('GET', `/api/v1/organizations/${orgId}`, { token });
/** The promise made to operators (README): changes reach every process within one second. */
const afterOneSecond = () => new Promise((resolve) => setTimeout(resolve, 1000 + 50));
/** Separate caches only where the two instances have separate database handles (PostgreSQL). */
const separateProcesses = () => testDatabaseKind() === 'postgres';

describe('cached access checks', () => {
  it('a revoked API token is refused at once where it was revoked and within a second everywhere', async () => {
    const created = await writer.call('POST', '/api/v1/auth/api-tokens', {
      token: member.token,
      body: { name: 'cached' },
    });
    expect(created.status, created.text).toBe(201);
    const { _id: tokenId, token } = created.body.data as { _id: string; token: string };
    const warmedAt = Date.now();
    expect((await readOrg(reader, token)).status).toBe(200);
    expect((await readOrg(writer, token)).status).toBe(200);

    const revoked = await writer.call('DELETE', `/api/v1/auth/api-tokens/${tokenId}`, {
      token: member.token,
    });
    expect(revoked.status, revoked.text).toBe(200);
    expect((await readOrg(writer, token)).status).toBe(401);
    if (separateProcesses()) {
      // The reader still holds the token (read no earlier than `warmedAt`): only its TTL can end it there.
      expect(principalCacheFor(reader.database.db).get(token, warmedAt)).not.toBe('miss');
    }
    await afterOneSecond();
    expect((await readOrg(reader, token)).status).toBe(401);
  });

  it('a removed member loses access at once where removed and within a second everywhere', async () => {
    const warmedAt = Date.now();
    expect((await readOrg(reader, member.token)).status).toBe(200);
    expect((await readOrg(writer, member.token)).status).toBe(200);
    expect(membershipCacheFor(writer.database.db).get(member.id, orgId, warmedAt)?.role).toBe('member');

    const removed = await writer.call('DELETE', `/api/v1/organizations/${orgId}/members/${member.id}`, {
      token: owner.token,
    });
    expect(removed.status, removed.text).toBe(200);
    expect((await readOrg(writer, member.token)).status).toBe(404);
    if (separateProcesses()) {
      expect(membershipCacheFor(reader.database.db).get(member.id, orgId, warmedAt)?.role).toBe('member');
    }
    await afterOneSecond();
    expect((await readOrg(reader, member.token)).status).toBe(404);
  });

  it('a role change and an organization rename are seen at once where they were made', async () => {
    const again = await registerUser(writer, 'cache-again');
    await addMember(writer, owner, orgId, again, 'admin');
    const renamed = await writer.call('PUT', `/api/v1/organizations/${orgId}`, {
      token: again.token,
      body: { name: 'Renamed' },
    });
    expect(renamed.status, renamed.text).toBe(200);
    const seen = await readOrg(writer, again.token);
    expect(seen.body.data).toMatchObject({ name: 'Renamed', role: 'admin' });

    const demoted = await writer.call('PUT', `/api/v1/organizations/${orgId}/members/${again.id}`, {
      token: owner.token,
      body: { role: 'viewer' },
    });
    expect(demoted.status, demoted.text).toBe(200);
    expect((await readOrg(writer, again.token)).body.data.role).toBe('viewer');
    const refused = await writer.call('PUT', `/api/v1/organizations/${orgId}`, {
      token: again.token,
      body: { name: 'Not allowed' },
    });
    expect(refused.status).toBe(403);
  });
});
