import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { hasRole } from '../../auth/roles.ts';
import type { AppDeps, AppEnv } from '../../http/env.ts';
import { forbidden } from '../../http/errors.ts';
import {
  commonErrors,
  idParam,
  json,
  jsonBody,
  OrgParams,
  PageQuery,
  PaginationSchema,
  RoleSchema,
  secured,
  SuccessMessage,
  timestamp,
} from '../../http/openapi.ts';
import { personOf, principalOf, requireOrganization } from '../access.ts';
import { createApiToken, listApiTokens, revokeApiToken } from '../api-tokens.ts';
import { futureDateField, nameField } from '../validation.ts';

const ApiTokenSchema = z
  .object({
    _id: z.string(),
    name: z.string(),
    kind: z.enum(['personal', 'organization']),
    organization: z.string().nullable(),
    role: RoleSchema.nullable(),
    token_prefix: z.string(),
    expires_at: timestamp().nullable(),
    last_used_at: timestamp().nullable(),
    revoked_at: timestamp().nullable(),
    created_at: timestamp(),
  })
  .openapi('ApiToken');
const CreatedToken = z
  .object({
    success: z.literal(true),
    data: ApiTokenSchema.extend({ token: z.string().openapi({ description: 'Shown once; store it now' }) }),
  })
  .openapi('CreatedApiToken');
const TokenList = z.object({
  success: z.literal(true),
  data: z.array(ApiTokenSchema),
  pagination: PaginationSchema,
});
const TokenParams = OrgParams.extend({ tokenId: idParam('tokenId', 'tok') });

const orgCreate = createRoute({
  method: 'post',
  path: '/api/v1/organizations/{orgId}/api-tokens',
  tags: ['API tokens'],
  summary: 'Create an organization API token (admin or higher); the token is shown once',
  ...secured,
  request: {
    params: OrgParams,
    ...jsonBody(
      z.object({
        name: nameField(100),
        role: RoleSchema.default('member'),
        expires_at: futureDateField.nullable().optional(),
      }),
    ),
  },
  responses: { 201: json(CreatedToken, 'Created'), ...commonErrors },
});
const orgList = createRoute({
  method: 'get',
  path: '/api/v1/organizations/{orgId}/api-tokens',
  tags: ['API tokens'],
  summary: "List an organization's API tokens (admin or higher)",
  ...secured,
  request: { params: OrgParams, query: PageQuery },
  responses: { 200: json(TokenList, 'Tokens'), ...commonErrors },
});
const orgRevoke = createRoute({
  method: 'delete',
  path: '/api/v1/organizations/{orgId}/api-tokens/{tokenId}',
  tags: ['API tokens'],
  summary: 'Revoke an organization API token (admin or higher)',
  ...secured,
  request: { params: TokenParams },
  responses: { 200: json(SuccessMessage, 'Revoked'), ...commonErrors },
});
const personalCreate = createRoute({
  method: 'post',
  path: '/api/v1/auth/api-tokens',
  tags: ['API tokens'],
  summary: 'Create a personal API token that acts as you in every organization; shown once',
  ...secured,
  request: jsonBody(z.object({ name: nameField(100), expires_at: futureDateField.nullable().optional() })),
  responses: { 201: json(CreatedToken, 'Created'), ...commonErrors },
});
const personalList = createRoute({
  method: 'get',
  path: '/api/v1/auth/api-tokens',
  tags: ['API tokens'],
  summary: 'List your personal API tokens',
  ...secured,
  request: { query: PageQuery },
  responses: { 200: json(TokenList, 'Tokens'), ...commonErrors },
});
const personalRevoke = createRoute({
  method: 'delete',
  path: '/api/v1/auth/api-tokens/{tokenId}',
  tags: ['API tokens'],
  summary: 'Revoke one of your personal API tokens',
  ...secured,
  request: { params: z.object({ tokenId: idParam('tokenId', 'tok') }) },
  responses: { 200: json(SuccessMessage, 'Revoked'), ...commonErrors },
});

const toDate = (v: string | null | undefined) => (v ? new Date(v) : null);

/** Organization API tokens (role-capped, one organization) and personal tokens (act as their user). */
export function registerTokenRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { db } = deps.database;

  app.openapi(orgCreate, async (c) => {
    const principal = principalOf(c);
    const { orgId } = c.req.valid('param');
    const body = c.req.valid('json');
    const { role } = await requireOrganization(db, principal, orgId, 'admin');
    if (!hasRole(role, body.role))
      throw forbidden(`You cannot create a token with a role above your own (${role})`);
    const data = await createApiToken(db, {
      userId: principal.userId,
      name: body.name,
      expiresAt: toDate(body.expires_at),
      scope: { organizationId: orgId, role: body.role },
      ...(principal.tokenId ? { parentTokenId: principal.tokenId } : {}),
    });
    return c.json({ success: true as const, data }, 201);
  });

  app.openapi(orgList, async (c) => {
    const { orgId } = c.req.valid('param');
    await requireOrganization(db, principalOf(c), orgId, 'admin');
    const result = await listApiTokens(db, { organizationId: orgId }, c.req.valid('query'));
    return c.json({ success: true as const, ...result }, 200);
  });

  app.openapi(orgRevoke, async (c) => {
    const { orgId, tokenId } = c.req.valid('param');
    await requireOrganization(db, principalOf(c), orgId, 'admin');
    await revokeApiToken(db, tokenId, { organizationId: orgId });
    return c.json({ success: true as const, message: 'API token revoked' }, 200);
  });

  app.openapi(personalCreate, async (c) => {
    const principal = personOf(c, 'cannot manage personal tokens');
    const body = c.req.valid('json');
    const data = await createApiToken(db, {
      userId: principal.userId,
      name: body.name,
      expiresAt: toDate(body.expires_at),
      scope: { organizationId: null },
      ...(principal.tokenId ? { parentTokenId: principal.tokenId } : {}),
    });
    return c.json({ success: true as const, data }, 201);
  });

  app.openapi(personalList, async (c) => {
    const principal = personOf(c, 'cannot manage personal tokens');
    const result = await listApiTokens(db, { userId: principal.userId }, c.req.valid('query'));
    return c.json({ success: true as const, ...result }, 200);
  });

  app.openapi(personalRevoke, async (c) => {
    const principal = personOf(c, 'cannot manage personal tokens');
    await revokeApiToken(db, c.req.valid('param').tokenId, { userId: principal.userId });
    return c.json({ success: true as const, message: 'API token revoked' }, 200);
  });
}
