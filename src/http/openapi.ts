import { z } from '@hono/zod-openapi';
import { ROLES } from '../auth/roles.ts';

/** Shared OpenAPI building blocks for route definitions. */

export const ErrorSchema = z
  .object({ success: z.literal(false), error: z.string(), details: z.unknown().optional() })
  .openapi('Error');

const errorResponse = (description: string) => ({
  content: { 'application/json': { schema: ErrorSchema } },
  description,
});

/** The error responses every authenticated route can produce. */
export const commonErrors = {
  400: errorResponse('Invalid input; the message names the field'),
  401: errorResponse('Missing, invalid, expired or revoked token'),
  403: errorResponse('Your role does not allow this'),
  404: errorResponse('Not found, or not visible to you'),
  429: errorResponse('Rate limited; see Retry-After'),
} as const;

export const conflictError = { 409: errorResponse('Conflicts with existing data') } as const;

/** A JSON response entry for createRoute. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

/** A required JSON request body for createRoute. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { content: { 'application/json': { schema } }, required: true } };
}

export const RoleSchema = z.enum(ROLES).openapi({ description: 'owner > admin > member > viewer' });

export const idParam = (name: string, prefix: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name, in: 'path' }, example: `${prefix}_01jd2x3y4z5a6b7c8d9e0f1g2h` });

export const OrgParams = z.object({ orgId: idParam('orgId', 'org') });
export const ProjectParams = OrgParams.extend({ projectId: idParam('projectId', 'proj') });
export const AgentParams = ProjectParams.extend({ agentId: idParam('agentId', 'agent') });

/** `?page&limit`, bounded: at most 100 items a page. */
export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1).openapi({ example: 1 }),
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20 }),
});

export const PaginationSchema = z.object({ page: z.number(), limit: z.number(), total: z.number() });

/** `{success, data: [item], pagination}`: the shape of every list response. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ success: z.literal(true), data: z.array(item), pagination: PaginationSchema });
}

/** `{success, data: item}`: the shape of every single-object response. */
export function oneOf<T extends z.ZodType>(item: T) {
  return z.object({ success: z.literal(true), data: item });
}

/** Marks a route as requiring `Authorization: Bearer …` in the OpenAPI document. */
export const secured = { security: [{ bearerAuth: [] }] };

export const SuccessMessage = z
  .object({ success: z.literal(true), message: z.string() })
  .openapi('SuccessMessage');

export const timestamp = () =>
  z.string().openapi({ format: 'date-time', example: '2024-10-01T10:00:00.000Z' });
