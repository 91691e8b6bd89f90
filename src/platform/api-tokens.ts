import { principalCacheFor } from '../auth/principal-cache.ts';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { generateApiToken, hashApiToken, tokenDisplayPrefix } from '../auth/api-token-secret.ts';
import type { Role } from '../auth/roles.ts';
import type { Db } from '../db/client.ts';
import { apiTokens } from '../db/schema.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { paginate } from '../db/paginate.ts';
import { newId } from '../ids.ts';
import { apiTokenView } from './serialize.ts';

export type TokenScope = { organizationId: string; role: Role } | { organizationId: null };

/**
 * Creates a token; the plaintext is returned here once and never stored. A token created by another token
 * (`parentTokenId`) dies with it: revoked together, and it expires no later than its parent.
 */
export async function createApiToken(
  db: Db,
  input: { userId: string; name: string; expiresAt?: Date | null; scope: TokenScope; parentTokenId?: string },
) {
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw badRequest('Invalid body: expires_at: must be in the future');
  }
  let expiresAt = input.expiresAt ?? null;
  if (input.parentTokenId) {
    const [parent] = await db
      .select({ expiresAt: apiTokens.expiresAt })
      .from(apiTokens)
      .where(eq(apiTokens.id, input.parentTokenId));
    if (parent?.expiresAt && (!expiresAt || parent.expiresAt < expiresAt)) expiresAt = parent.expiresAt;
  }
  const token = generateApiToken(input.scope.organizationId ? 'org' : 'pat');
  const [row] = await db
    .insert(apiTokens)
    .values({
      id: newId('tok'),
      organizationId: input.scope.organizationId,
      role: input.scope.organizationId ? input.scope.role : null,
      userId: input.userId,
      name: input.name,
      tokenHash: hashApiToken(token),
      tokenPrefix: tokenDisplayPrefix(token),
      expiresAt,
      parentTokenId: input.parentTokenId ?? null,
    })
    .returning();
  if (!row) throw new Error('token insert returned nothing');
  return { ...apiTokenView(row), token };
}

/** Lists tokens of an organization, or a user's personal tokens; newest first, paginated. */
export async function listApiTokens(
  db: Db,
  owner: { organizationId: string } | { userId: string },
  page: { page: number; limit: number },
) {
  const where =
    'organizationId' in owner
      ? eq(apiTokens.organizationId, owner.organizationId)
      : and(eq(apiTokens.userId, owner.userId), isNull(apiTokens.organizationId));
  return paginate(
    db,
    page,
    { table: apiTokens, where },
    (limit, offset) =>
      db.select().from(apiTokens).where(where).orderBy(desc(apiTokens.id)).limit(limit).offset(offset),
    apiTokenView,
  );
}

/** Revokes a token (idempotent); 404 if it is not in the given scope. */
export async function revokeApiToken(
  db: Db,
  tokenId: string,
  owner: { organizationId: string } | { userId: string },
): Promise<void> {
  const scope =
    'organizationId' in owner
      ? eq(apiTokens.organizationId, owner.organizationId)
      : and(eq(apiTokens.userId, owner.userId), isNull(apiTokens.organizationId));
  const [row] = await db
    .select({ id: apiTokens.id })
    .from(apiTokens)
    .where(and(eq(apiTokens.id, tokenId), scope));
  if (!row) throw notFound('API token');
  // The token and every token created by it, and by those, in one statement.
  await db.execute(sql`
    with recursive family as (
      select id from api_tokens where id = ${tokenId}
      union
      select t.id from api_tokens t join family f on t.parent_token_id = f.id
    )
    update api_tokens set revoked_at = coalesce(revoked_at, now()) where id in (select id from family)`);
  // At once in this process; other processes drop it within PRINCIPAL_TTL_MS.
  principalCacheFor(db).clear();
}
