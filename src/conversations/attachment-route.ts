import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AttachmentMeta, ProviderAdapter } from '../channels/types.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { ApiError, notFound } from '../http/errors.ts';
import { commonErrors, secured } from '../http/openapi.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import { isRawMailRef, rawMailAttachment } from './mail-attachment.ts';
import { ConversationParams, CONVERSATIONS_PATH } from './params.ts';

const AttachmentParams = ConversationParams.extend({
  messageId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'messageId', in: 'path' }, example: 'msg_01jd2x3y4z5a6b7c8d9e0f1g2h' }),
  index: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .openapi({ param: { name: 'index', in: 'path' }, description: '0-based position in the message' }),
});

const download = createRoute({
  method: 'get',
  path: `${CONVERSATIONS_PATH}/{conversationId}/messages/{messageId}/attachments/{index}`,
  tags: ['Conversations'],
  summary: "A message attachment's bytes, streamed from the provider (viewer or higher)",
  ...secured,
  request: { params: AttachmentParams },
  responses: {
    200: {
      content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } },
      description: 'The bytes, with the content type the provider reports; at most ATTACHMENT_MAX_BYTES',
    },
    ...commonErrors,
    502: {
      content: { 'application/json': { schema: z.object({ success: z.literal(false), error: z.string() }) } },
      description: 'The provider could not supply the attachment, or it exceeds ATTACHMENT_MAX_BYTES',
    },
  },
});

const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

/** The content type to send: the provider's, else the recorded one, else binary. Parameters are dropped. */
export function safeContentType(...candidates: (string | undefined)[]): string {
  for (const candidate of candidates) {
    const type = candidate?.split(';')[0]?.trim().toLowerCase();
    if (type && MIME_TYPE.test(type)) return type;
  }
  return 'application/octet-stream';
}

/** `attachment` disposition with an ASCII-safe filename and the original (UTF-8) one where clients read it. */
export function contentDisposition(name: string | undefined, fallback: string): string {
  // Control characters, path separators and quotes never reach the header.
  const cleaned =
    (name ?? '')
      .replace(/[\p{Cc}\\/"]/gu, '')
      .trim()
      .slice(0, 200) || fallback;
  const ascii = cleaned.replace(/[^A-Za-z0-9._ -]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(cleaned)}`;
}

/** Passes bytes through until more than `max` went by, then fails the stream (the download is cut off). */
export function limitBytes(body: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  let seen = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) controller.error(new Error(`attachment exceeds ${max} bytes`));
        else controller.enqueue(chunk);
      },
    }),
  );
}

type FetchedAttachment = Awaited<ReturnType<NonNullable<ProviderAdapter['fetchAttachment']>>>;

const tooLarge = (max: number) =>
  new ApiError(502, `The attachment is larger than this server's limit (ATTACHMENT_MAX_BYTES = ${max})`);

/** GET …/messages/{messageId}/attachments/{index}: streams an inbound attachment through the server. */
export function registerAttachmentRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { database, logger } = deps;
  const max = deps.config.ATTACHMENT_MAX_BYTES;
  app.openapi(download, async (c) => {
    const p = c.req.valid('param');
    await requireAgent(database.db, principalOf(c), p.orgId, p.projectId, p.agentId, 'viewer');
    const [message] = await database.query<{
      channel: string;
      attachments: AttachmentMeta[];
      recipient: { platformUserId: string } | null;
    }>(
      `select m.channel, m.attachments, m.recipient from messages m join conversations c on c.id = m.conversation_id
       where m.id = $1 and m.conversation_id = $2 and c.agent_id = $3`,
      [p.messageId, p.conversationId, p.agentId],
    );
    if (!message) throw notFound('Message');
    const attachment = message.attachments[p.index];
    if (!attachment?.ref) throw notFound('Attachment');
    let fetched: FetchedAttachment;
    if (isRawMailRef(attachment.ref)) {
      // Inbound mail keeps its attachments in the stored raw message, not at a provider.
      const stored = await rawMailAttachment(database, p.agentId, attachment.ref);
      if (!stored) throw notFound('Attachment');
      fetched = stored;
    } else {
      const sender = await deps.senders?.(p.agentId, message.channel, message.recipient?.platformUserId);
      const fetchAttachment = sender?.adapter.fetchAttachment;
      if (!sender || !fetchAttachment) throw notFound('Downloadable attachment');
      try {
        fetched = await fetchAttachment.call(sender.adapter, attachment, sender.ctx);
      } catch (error) {
        // The adapter's error may name an upstream URL; only the log sees it (and the logger redacts secrets).
        logger.warn(
          { err: error, channel: message.channel, messageId: p.messageId },
          'attachment fetch failed',
        );
        throw new ApiError(502, `The ${message.channel} provider could not supply this attachment`);
      }
    }
    if (fetched.size !== undefined && fetched.size > max) {
      await fetched.body.cancel().catch(() => {});
      throw tooLarge(max);
    }
    const name = attachment.name ?? `attachment-${p.index}`;
    return new Response(limitBytes(fetched.body, max), {
      status: 200,
      headers: {
        'content-type': safeContentType(fetched.contentType, attachment.mime_type),
        'content-disposition': contentDisposition(name, `attachment-${p.index}`),
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'cache-control': 'private, no-store',
      },
    }) as never;
  });
}
