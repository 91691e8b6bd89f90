import { z } from '@hono/zod-openapi';
import { timestamp } from '../http/openapi.ts';

/** Who owns a conversation in handoff, since when and why. */
export const HandoffSchema = z
  .object({
    started_at: timestamp(),
    by: z.enum(['operator', 'agent', 'keyword']),
    user_id: z.string().nullable().openapi({ description: 'The operator who started it (by: operator)' }),
    reason: z.string().nullable(),
  })
  .openapi('Handoff');

/** A conversation as the API shows it (messages are added by the detail route). */
export const Conversation = z
  .object({
    _id: z.string(),
    agent: z.string(),
    user_identifier: z.string(),
    channel: z
      .string()
      .openapi({ description: "Channel of the latest inbound message; 'website' when unset" }),
    channel_metadata: z.record(z.string(), z.unknown()),
    channel_history: z.array(
      z.object({ channel: z.string(), timestamp: timestamp(), message_count: z.number() }),
    ),
    status: z.enum(['active', 'closed']),
    metadata: z.object({ last_activity: timestamp() }),
    token_usage: z.object({ input: z.number(), output: z.number() }),
    closed_at: timestamp().nullable(),
    handoff: HandoffSchema.nullable().openapi({
      description: 'Set while a human owns the conversation (the agent does not answer); null otherwise',
    }),
    created_at: timestamp(),
    updated_at: timestamp(),
  })
  .openapi('Conversation');
