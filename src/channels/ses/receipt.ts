import { z } from 'zod';

/**
 * SES email receiving through a receipt rule's SNS action (providers.md §8.3, §13): the SNS `Message` is JSON with
 * `notificationType: "Received"`, the `receipt` (verdicts, the action and its encoding) and `content`, the whole
 * raw mail, UTF8 or BASE64 encoded. Other actions (S3, Lambda…) publish no content.
 */

const verdict = z
  .object({ status: z.string().max(50) })
  .partial()
  .optional();
const receivedSchema = z.object({
  notificationType: z.literal('Received'),
  receipt: z
    .object({
      recipients: z.array(z.string().max(400)).max(100).optional(),
      spfVerdict: verdict,
      dkimVerdict: verdict,
      dmarcVerdict: verdict,
      spamVerdict: verdict,
      virusVerdict: verdict,
      dmarcPolicy: z.string().max(50).optional(),
      action: z.object({ type: z.string().max(50), encoding: z.string().max(20).optional() }).passthrough(),
    })
    .passthrough(),
  mail: z
    .object({ messageId: z.string().max(200).optional(), source: z.string().max(400).optional() })
    .passthrough(),
  content: z.string().optional(),
});

/** SES's own verdicts on a received mail, lowercased (`pass`, `fail`, `gray`, `processing_failed`). */
export type SesVerdicts = {
  spf?: string;
  dkim?: string;
  dmarc?: string;
  /** The From domain's DMARC policy, given by SES only when DMARC failed. */
  dmarc_policy?: string;
  spam?: string;
  virus?: string;
};

export type SesReceivedMail = { raw: Buffer; sesMessageId?: string; verdicts: SesVerdicts };

export type ReceiptOutcome =
  | { kind: 'mail'; mail: SesReceivedMail }
  /** Not a receipt notification (a sending event, a test message): nothing to store as mail. */
  | { kind: 'other' }
  | { kind: 'invalid'; reason: string };

const lower = (value: { status?: string } | undefined) => value?.status?.toLowerCase();

/** Reads a receipt notification: the raw mail from `content` and SES's verdicts. */
export function readReceipt(snsMessage: string): ReceiptOutcome {
  let json: unknown;
  try {
    json = JSON.parse(snsMessage);
  } catch {
    return { kind: 'other' };
  }
  if ((json as { notificationType?: unknown })?.notificationType !== 'Received') return { kind: 'other' };
  const parsed = receivedSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: 'invalid',
      reason: `Invalid SES notification: ${issue?.path.join('.') || 'body'} ${issue?.message ?? ''}`.trim(),
    };
  }
  const { receipt, mail, content } = parsed.data;
  if (content === undefined || content.length === 0) {
    return {
      kind: 'invalid',
      reason: `The SES notification has no content (receipt action ${receipt.action.type}); use the SNS action`,
    };
  }
  const base64 = (receipt.action.encoding ?? 'UTF8').toUpperCase() === 'BASE64';
  const raw = Buffer.from(content, base64 ? 'base64' : 'utf8');
  if (raw.byteLength === 0) return { kind: 'invalid', reason: 'Invalid SES notification: content is empty' };
  const verdicts: SesVerdicts = {
    ...(lower(receipt.spfVerdict) ? { spf: lower(receipt.spfVerdict) } : {}),
    ...(lower(receipt.dkimVerdict) ? { dkim: lower(receipt.dkimVerdict) } : {}),
    ...(lower(receipt.dmarcVerdict) ? { dmarc: lower(receipt.dmarcVerdict) } : {}),
    ...(receipt.dmarcPolicy ? { dmarc_policy: receipt.dmarcPolicy.toLowerCase() } : {}),
    ...(lower(receipt.spamVerdict) ? { spam: lower(receipt.spamVerdict) } : {}),
    ...(lower(receipt.virusVerdict) ? { virus: lower(receipt.virusVerdict) } : {}),
  };
  return {
    kind: 'mail',
    mail: { raw, ...(mail.messageId ? { sesMessageId: mail.messageId } : {}), verdicts },
  };
}
