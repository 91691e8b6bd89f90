import { z } from '@hono/zod-openapi';
import { AgentParams } from '../http/openapi.ts';

/** Base path of the conversation routes. */
export const CONVERSATIONS_PATH =
  '/api/v1/organizations/{orgId}/projects/{projectId}/agents/{agentId}/conversations';

/** Path parameters of routes under one conversation. */
export const ConversationParams = AgentParams.extend({
  conversationId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'conversationId', in: 'path' }, example: 'conv_01jd2x3y4z5a6b7c8d9e0f1g2h' }),
});
