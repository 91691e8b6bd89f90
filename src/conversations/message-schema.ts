import { z } from '@hono/zod-openapi';
import { timestamp } from '../http/openapi.ts';

/** A stored message as the API shows it. */
export const MessageSchema = z
  .object({
    _id: z.string(),
    role: z.enum(['user', 'assistant', 'system', 'human']),
    content: z.string(),
    channel: z.string(),
    direction: z.enum(['inbound', 'outbound']),
    status: z.enum(['received', 'queued', 'held', 'sent', 'delivered', 'read', 'played', 'failed']),
    provider_message_id: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    attachments: z.array(z.unknown()),
    buttons: z.array(z.unknown()).nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable().openapi({
      description:
        'Channel facts about this message; email: message_id, subject, full_text (with quoted history) and auth, the sender authentication verdict (dkim, spf, dmarc, arc: pass/fail/none…, verified)',
    }),
    token_usage: z.object({ input: z.number(), output: z.number() }).nullable(),
    attempts: z.number(),
    user_id: z
      .string()
      .nullable()
      .openapi({ description: 'Role `human`: the operator (user id) who wrote it through the API' }),
    created_at: timestamp(),
    sent_at: timestamp().nullable(),
    delivered_at: timestamp().nullable(),
    read_at: timestamp().nullable(),
    edited_at: timestamp().nullable(),
  })
  .openapi('Message');
