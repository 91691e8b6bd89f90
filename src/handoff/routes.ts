import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { Conversation } from '../conversations/conversation-schema.ts';
import { ConversationParams, CONVERSATIONS_PATH } from '../conversations/params.ts';
import { CONVERSATION_COLUMNS, type ConversationRow, conversationView } from '../conversations/views.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { conflict, notFound } from '../http/errors.ts';
import { commonErrors, conflictError, json, secured } from '../http/openapi.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import { endHandoff, HANDOFF_REASON_MAX_CHARS, startHandoff } from './state.ts';

const HandoffBody = z
  .object({
    reason: z
      .string()
      .trim()
      .max(HANDOFF_REASON_MAX_CHARS, `must be at most ${HANDOFF_REASON_MAX_CHARS} characters`)
      .optional(),
  })
  .strict()
  .openapi('HandoffInput');

const tags = ['Conversations'];
const answer = { 200: json(z.object({ success: z.literal(true), data: Conversation }), 'The conversation') };

const handoff = createRoute({
  method: 'post',
  path: `${CONVERSATIONS_PATH}/{conversationId}/handoff`,
  tags,
  summary: 'A human takes the conversation over: the agent stops answering (member or higher)',
  description:
    'Idempotent: a conversation already in handoff is returned unchanged. Messages that arrive during the ' +
    'handoff are stored and never answered by the agent, even turns already queued. 409 when it is closed.',
  ...secured,
  request: {
    params: ConversationParams,
    body: { content: { 'application/json': { schema: HandoffBody } }, required: false },
  },
  responses: { ...answer, ...commonErrors, ...conflictError },
});

const resume = createRoute({
  method: 'post',
  path: `${CONVERSATIONS_PATH}/{conversationId}/resume`,
  tags,
  summary: 'Hand the conversation back to the agent; it answers the next message (member or higher)',
  description: 'Idempotent: a conversation not in handoff is returned unchanged.',
  ...secured,
  request: { params: ConversationParams },
  responses: { ...answer, ...commonErrors },
});

/** POST …/conversations/{id}/handoff and …/resume. */
export function registerHandoffRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { database } = deps;
  const load = async (agentId: string, conversationId: string) => {
    const [row] = await database.query<ConversationRow>(
      `select ${CONVERSATION_COLUMNS} from conversations where id = $1 and agent_id = $2`,
      [conversationId, agentId],
    );
    if (!row) throw notFound('Conversation');
    return row;
  };

  app.openapi(handoff, async (c) => {
    const p = c.req.valid('param');
    const principal = principalOf(c);
    await requireAgent(database.db, principal, p.orgId, p.projectId, p.agentId, 'member');
    // The body is optional (no reason).
    const reason = (c.req.valid('json') as z.infer<typeof HandoffBody> | undefined)?.reason;
    const row = await load(p.agentId, p.conversationId);
    if (row.status !== 'active') throw conflict('The conversation is closed');
    await database.transaction((query) =>
      startHandoff(query, {
        agentId: p.agentId,
        conversationId: p.conversationId,
        by: 'operator',
        userId: principal.userId,
        ...(reason ? { reason } : {}),
        now: new Date(),
      }),
    );
    return c.json(
      { success: true as const, data: conversationView(await load(p.agentId, p.conversationId)) } as never,
      200,
    );
  });

  app.openapi(resume, async (c) => {
    const p = c.req.valid('param');
    const principal = principalOf(c);
    await requireAgent(database.db, principal, p.orgId, p.projectId, p.agentId, 'member');
    await load(p.agentId, p.conversationId);
    await database.transaction((query) =>
      endHandoff(query, {
        agentId: p.agentId,
        conversationId: p.conversationId,
        userId: principal.userId,
        now: new Date(),
      }),
    );
    return c.json(
      { success: true as const, data: conversationView(await load(p.agentId, p.conversationId)) } as never,
      200,
    );
  });
}
