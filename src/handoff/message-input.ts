import { z } from '@hono/zod-openapi';
import type { OutboundAttachment } from '../channels/types.ts';
import { badRequest } from '../http/errors.ts';
import { assertPublicUrl, BlockedDestinationError } from '../net/outbound-guard.ts';

/** Longest operator message, and most attachments on one. */
export const OPERATOR_TEXT_MAX_CHARS = 4000;
export const OPERATOR_ATTACHMENTS_MAX = 10;

export const OperatorText = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(OPERATOR_TEXT_MAX_CHARS, `must be at most ${OPERATOR_TEXT_MAX_CHARS} characters`)
  .openapi({ description: 'Markdown, rendered for the channel like agent replies' });

export const OperatorAttachments = z
  .array(
    z
      .object({
        url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048),
        type: z.enum(['image', 'document']).default('document'),
        name: z.string().trim().min(1).max(255).optional(),
      })
      .strict(),
  )
  .max(OPERATOR_ATTACHMENTS_MAX, `at most ${OPERATOR_ATTACHMENTS_MAX} attachments`)
  .openapi({
    description:
      'Files by public URL (the provider or this server fetches them); private and internal addresses are refused',
  });

/**
 * Checks every attachment URL against the outbound guard (public addresses only unless OUTBOUND_ALLOW_PRIVATE)
 * before anything is stored; a refused one is a 400 naming it. Returns them as reply attachments.
 */
export async function publicAttachments(
  attachments: z.infer<typeof OperatorAttachments> | undefined,
  allowPrivate: boolean,
): Promise<OutboundAttachment[]> {
  const out: OutboundAttachment[] = [];
  for (const [index, attachment] of (attachments ?? []).entries()) {
    try {
      await assertPublicUrl(attachment.url, { allowPrivate });
    } catch (error) {
      if (error instanceof BlockedDestinationError) {
        throw badRequest(`Invalid body: attachments.${index}.url: ${error.message}`);
      }
      throw error;
    }
    out.push({
      type: attachment.type,
      url: attachment.url,
      ...(attachment.name ? { name: attachment.name } : {}),
    });
  }
  return out;
}
