import { z } from 'zod';
import { DeliveryError } from '../errors.ts';
import type { InboundEvent, ProviderAdapter } from '../types.ts';
import { LOOPBACK_SIGNATURE_HEADER, type LoopbackUpdate, verifyLoopback } from './protocol.ts';

/** One decoder for every webhook body (decode without `stream` keeps no state between calls). */
const utf8 = new TextDecoder();

/** Longest loopback message; longer replies are split (exercises the engine's multi-part path). */
export const LOOPBACK_TEXT_LIMIT = 4096;

const updateSchema = z.object({
  update_id: z.string().min(1).max(200),
  message: z
    .object({
      message_id: z.string().max(200).optional(),
      from: z.string().min(1).max(200),
      text: z.string().max(100_000),
      username: z.string().max(200).optional(),
      name: z.string().max(200).optional(),
    })
    .optional(),
  status: z
    .object({
      message_id: z.string().min(1).max(200),
      status: z.enum(['sent', 'delivered', 'read', 'played', 'failed', 'blocked']),
    })
    .optional(),
});
const bodySchema = z.union([updateSchema, z.array(updateSchema).max(100)]);

function toEvent(update: LoopbackUpdate): InboundEvent[] {
  if (update.message) {
    const m = update.message;
    return [
      {
        kind: 'message',
        eventId: update.update_id,
        ...(m.message_id ? { providerMessageId: m.message_id } : {}),
        sender: {
          platformUserId: m.from,
          chatId: m.from,
          ...(m.username ? { username: `@${m.username}` } : {}),
          ...(m.name ? { displayName: m.name } : {}),
        },
        text: m.text,
      },
    ];
  }
  if (update.status) {
    return [
      {
        kind: 'status',
        eventId: update.update_id,
        providerMessageId: update.status.message_id,
        status: update.status.status,
      },
    ];
  }
  return [];
}

/**
 * The test-only channel: a signed JSON webhook in, HTTP POSTs to a peer out. It behaves like a
 * real provider (signature, idempotency key, 429 + Retry-After, 4xx permanent, 5xx transient)
 * so the engine is tested end to end without any real provider.
 */
export const loopbackAdapter: ProviderAdapter = {
  channel: 'loopback',
  provider: 'loopback',
  configSchema: z.object({ url: z.url(), secret: z.string().min(16) }),
  secretFields: ['secret'],
  async verify(request, ctx) {
    const { account } = ctx;
    const key = account.hmacKey ? await account.hmacKey('secret') : await account.secret('secret');
    const ok = verifyLoopback(request.body, request.headers.get(LOOPBACK_SIGNATURE_HEADER), key);
    return ok ? { ok: true } : { ok: false, reason: 'invalid signature' };
  },
  parse(request) {
    const parsed = bodySchema.parse(JSON.parse(utf8.decode(request.body)));
    return (Array.isArray(parsed) ? parsed : [parsed]).flatMap(toEvent);
  },
  splitReply(reply) {
    const texts: string[] = [];
    for (let i = 0; i < reply.text.length; i += LOOPBACK_TEXT_LIMIT)
      texts.push(reply.text.slice(i, i + LOOPBACK_TEXT_LIMIT));
    if (texts.length === 0) texts.push('');
    // Attachments and buttons ride on the last part.
    return texts.map((text, i) => (i === texts.length - 1 ? { ...reply, text } : { text }));
  },
  async send(message, ctx) {
    const url = String(ctx.account.settings.url);
    let response: Response;
    try {
      response = await ctx.fetch(`${url}/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': message.idempotencyKey },
        body: JSON.stringify({
          chat_id: message.recipient.chatId,
          text: message.text,
          buttons: message.buttons,
        }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new DeliveryError('Loopback peer unreachable', {
        code: 'network_error',
        retryable: true,
        cause: error,
      });
    }
    const body = (await response.json().catch(() => ({}))) as {
      message_id?: string;
      code?: string;
      error?: string;
    };
    if (response.ok && body.message_id) return { providerMessageId: body.message_id };
    const reason = body.error ?? `HTTP ${response.status}`;
    if (response.status === 429) {
      const seconds = Number(response.headers.get('retry-after') ?? '1');
      throw new DeliveryError(reason, {
        code: 'rate_limited',
        retryable: true,
        retryAfterMs: seconds * 1000,
      });
    }
    if (response.status >= 500)
      throw new DeliveryError(reason, { code: `http_${response.status}`, retryable: true });
    throw new DeliveryError(reason, {
      code: body.code ?? `http_${response.status}`,
      retryable: false,
      blocked: body.code === 'blocked',
    });
  },
};
