import { and, eq, isNull } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { apiTokens, users } from '../db/schema.ts';
import type { AppDeps, AppEnv, Principal } from '../http/env.ts';
import { forbidden, unauthorized } from '../http/errors.ts';
import { CSRF_HEADER, csrfCookie, sessionCookie } from '../console/cookies.ts';
import { secretsEqual } from './constant-time.ts';
import { hashApiToken, looksLikeApiToken } from './api-token-secret.ts';
import { principalCacheFor } from './principal-cache.ts';
import { isRole } from './roles.ts';

/** How stale `last_used_at` may get before a request refreshes it (keeps token use from writing on every call). */
const LAST_USED_RESOLUTION_MS = 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Paths reachable without a bearer token. Everything else under /api fails closed. Provider webhooks are
 * authenticated by their own signatures, which each webhook route verifies on the raw bytes before anything else.
 */
export const PUBLIC_API_PATHS: RegExp[] = [
  /^\/api\/v1\/auth\/(register|login|console\/login|console\/logout)$/,
  /^\/api\/v1\/channels\/webhooks\//,
  // The website widget's API: visitor tokens, checked by its own routes.
  /^\/api\/v1\/widget\//,
];

/**
 * The principal of a bearer token. API tokens are cached for at most PRINCIPAL_TTL_MS (never past their expiry),
 * so a revocation in another process takes effect within a second; session tokens are checked every time.
 */
async function resolveBearer(deps: AppDeps, token: string): Promise<Principal | undefined> {
  if (!looksLikeApiToken(token)) return resolveSession(deps, token);
  const now = Date.now();
  return principalCacheFor(deps.database.db).load(token, now, () => resolveApiToken(deps, token, now));
}

async function resolveApiToken(
  deps: AppDeps,
  token: string,
  now: number,
): Promise<{ principal: Principal | undefined; expiresAt?: number }> {
  const { db } = deps.database;
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashApiToken(token)), isNull(apiTokens.revokedAt)))
    .limit(1);
  if (!row) return { principal: undefined };
  const expiresAt = row.expiresAt?.getTime();
  if (expiresAt !== undefined && expiresAt <= now) return { principal: undefined };
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db
      .update(apiTokens)
      .set({ lastUsedAt: new Date(now) })
      .where(eq(apiTokens.id, row.id));
  }
  if (row.organizationId === null) {
    return { principal: { userId: row.userId, via: 'personal_token', tokenId: row.id }, expiresAt };
  }
  if (!isRole(row.role)) return { principal: undefined };
  const principal: Principal = {
    userId: row.userId,
    via: 'organization_token',
    tokenId: row.id,
    tokenOrganizationId: row.organizationId,
    tokenRole: row.role,
  };
  return { principal, expiresAt };
}

async function resolveSession(deps: AppDeps, token: string): Promise<Principal | undefined> {
  const { db } = deps.database;
  const session = await deps.sessions.verify(token);
  if (!session) return undefined;
  const [user] = await db
    .select({ id: users.id, validAfter: users.sessionsValidAfter })
    .from(users)
    .where(eq(users.id, session.userId))
    .limit(1);
  if (!user) return undefined;
  if (user.validAfter && session.issuedAtMs < user.validAfter.getTime()) return undefined;
  return { userId: user.id, via: 'session' };
}

/** The token of an `Authorization: Bearer <token>` header; undefined when absent or malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  return header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
}

/** Resolves `Authorization: Bearer …` for every non-public /api route; 401 when missing or invalid. */
export function authenticate(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (PUBLIC_API_PATHS.some((p) => p.test(c.req.path))) return next();
    const header = c.req.header('authorization');
    const principal =
      header === undefined ? await consolePrincipal(deps, c) : await bearerPrincipal(deps, header);
    c.set('principal', principal);
    await next();
  };
}

async function bearerPrincipal(deps: AppDeps, header: string): Promise<Principal> {
  const token = bearerToken(header);
  if (!token) throw unauthorized('Missing bearer token: send "Authorization: Bearer <token>"');
  const principal = await resolveBearer(deps, token);
  if (!principal) throw unauthorized('Invalid, expired or revoked token');
  return principal;
}

/**
 * The console's cookie session. Writes must echo the CSRF cookie in X-CSRF-Token (double submit; both cookies
 * are SameSite=Strict too), so another site cannot make a logged-in browser write.
 */
async function consolePrincipal(deps: AppDeps, c: Context<AppEnv>): Promise<Principal> {
  const token = sessionCookie(c);
  if (!token) throw unauthorized('Missing bearer token: send "Authorization: Bearer <token>"');
  if (!SAFE_METHODS.has(c.req.method)) {
    const expected = csrfCookie(c);
    if (!expected || !secretsEqual(c.req.header(CSRF_HEADER), expected)) {
      throw forbidden('Missing or wrong X-CSRF-Token header for a cookie session');
    }
  }
  const principal = await resolveSession(deps, token);
  if (!principal) throw unauthorized('Session expired: log in again');
  return principal;
}
