import { z } from 'zod';
import { eventTime } from '../email/delivery-event.ts';
import { SES_MESSAGE_HEADER, SES_MESSAGE_TAG } from './send.ts';

/**
 * SES sending events through SNS (providers.md §8.3): configuration-set event publishing (`eventType`) or identity
 * feedback notifications (`notificationType`), with `mail.messageId` (SES's id), `mail.tags` (configuration sets
 * only) and `mail.headers` (when included). Our message id travels as the `switchboard_message_id` tag and the
 * `X-Switchboard-Message-Id` header set on send; an event naming neither is not ours to apply.
 */

/** Free text SES copies from the mail or the remote server: cut to `max`, never a reason to refuse the event. */
const cut = (max: number) => z.string().transform((value) => value.slice(0, max));
// A long thread's References header (30 ids) or a signature header runs past any fixed length.
const header = z.object({ name: cut(200), value: cut(2000) });
const recipient = z.object({
  emailAddress: z.string().max(400),
  status: cut(50).optional(),
  diagnosticCode: cut(2000).optional(),
  action: cut(50).optional(),
});
const eventSchema = z.object({
  eventType: z.string().max(50).optional(),
  notificationType: z.string().max(50).optional(),
  mail: z.object({
    messageId: z.string().max(200),
    timestamp: z.string().max(50).optional(),
    destination: z.array(z.string().max(400)).max(100).optional(),
    tags: z.record(z.string(), z.array(z.string().max(300)).max(20)).optional(),
    headers: z.array(header).max(200).optional(),
  }),
  delivery: z
    .object({
      timestamp: z.string().max(50).optional(),
      recipients: z.array(z.string()).max(100).optional(),
      smtpResponse: cut(2000).optional(),
    })
    .optional(),
  bounce: z
    .object({
      bounceType: z.string().max(50),
      bounceSubType: z.string().max(100).optional(),
      bouncedRecipients: z.array(recipient).max(100).default([]),
      timestamp: z.string().max(50).optional(),
      feedbackId: z.string().max(200).optional(),
    })
    .optional(),
  complaint: z
    .object({
      complainedRecipients: z
        .array(recipient.pick({ emailAddress: true }))
        .max(100)
        .default([]),
      complaintFeedbackType: z.string().max(100).optional(),
      timestamp: z.string().max(50).optional(),
      feedbackId: z.string().max(200).optional(),
    })
    .optional(),
  /** Reject: SES found a virus and never tried to deliver (`reason` "Bad content"). */
  reject: z.object({ reason: cut(500).optional() }).optional(),
});

/** What one SES event means for the outbound message and its recipients. */
export type SesDeliveryEvent = {
  /** Delivery, Bounce, Complaint or Reject. */
  type: 'delivery' | 'bounce' | 'complaint' | 'reject';
  /** Our message id (tag or header), the only key an event is applied by. */
  ourMessageId: string;
  sesMessageId: string;
  /** delivered; failed (transient bounce, reject); blocked (permanent bounce: failed and the address blocked). */
  status?: 'delivered' | 'failed' | 'blocked';
  /** Recipients who complained or hard-bounced: no more email to them. */
  blockAddresses: string[];
  at?: string;
  error?: { code: string; message: string };
  /** Stable across SNS redeliveries of this event. */
  eventKey: string;
};

export type SesEventOutcome =
  | { kind: 'event'; event: SesDeliveryEvent }
  /** A well-formed event this server does not act on (Send, Open, DeliveryDelay…) or not about our mail. */
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

/** Our message id from the tag we set, else from our header. */
function ourIdOf(mail: z.infer<typeof eventSchema>['mail']): string | undefined {
  const tagged = mail.tags?.[SES_MESSAGE_TAG]?.[0];
  if (tagged) return tagged;
  const name = SES_MESSAGE_HEADER.toLowerCase();
  return mail.headers?.find((h) => h.name.toLowerCase() === name)?.value.trim() || undefined;
}

/** A Reject: the message failed for its content (SES never tried to deliver it); the address stays usable. */
function rejected(
  base: Pick<SesDeliveryEvent, 'type' | 'ourMessageId' | 'sesMessageId'>,
  reason: string | undefined,
): SesDeliveryEvent {
  return {
    ...base,
    status: 'failed',
    blockAddresses: [],
    error: { code: 'ses_reject', message: reason || 'Rejected by SES before delivery' },
    eventKey: `ses:${base.sesMessageId}:reject`,
  };
}

/** Reads one SES sending event (the SNS `Message`). */
export function readSesEvent(snsMessage: string): SesEventOutcome {
  let json: unknown;
  try {
    json = JSON.parse(snsMessage);
  } catch {
    return { kind: 'invalid', reason: 'Invalid SES event: Message is not JSON' };
  }
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: 'invalid',
      reason: `Invalid SES event: ${issue?.path.join('.') || 'body'} ${issue?.message ?? ''}`.trim(),
    };
  }
  const data = parsed.data;
  const type = (data.eventType ?? data.notificationType ?? '').toLowerCase();
  if (type !== 'delivery' && type !== 'bounce' && type !== 'complaint' && type !== 'reject') {
    return { kind: 'ignored', reason: `event type ${type || 'missing'}` };
  }
  const ourMessageId = ourIdOf(data.mail);
  if (!ourMessageId) return { kind: 'ignored', reason: 'the mail carries no Switchboard message id' };
  const base = { type, ourMessageId, sesMessageId: data.mail.messageId } as const;
  if (type === 'reject') return { kind: 'event', event: rejected(base, data.reject?.reason) };
  if (type === 'delivery') {
    const at = eventTime(data.delivery?.timestamp);
    return {
      kind: 'event',
      event: {
        ...base,
        status: 'delivered',
        blockAddresses: [],
        ...(at ? { at } : {}),
        eventKey: `ses:${data.mail.messageId}:delivery`,
      },
    };
  }
  if (type === 'bounce') {
    const bounce = data.bounce;
    if (!bounce) return { kind: 'invalid', reason: 'Invalid SES event: bounce is missing' };
    const permanent = bounce.bounceType === 'Permanent';
    const first = bounce.bouncedRecipients[0];
    const reason =
      first?.diagnosticCode ?? `${bounce.bounceType} bounce (${bounce.bounceSubType ?? 'General'})`;
    const at = eventTime(bounce.timestamp);
    return {
      kind: 'event',
      event: {
        ...base,
        status: permanent ? 'blocked' : 'failed',
        blockAddresses: permanent ? bounce.bouncedRecipients.map((r) => r.emailAddress.toLowerCase()) : [],
        ...(at ? { at } : {}),
        error: {
          code: first?.status ?? (permanent ? 'ses_bounce_permanent' : 'ses_bounce_transient'),
          message: reason.slice(0, 500),
        },
        eventKey: `ses:${data.mail.messageId}:bounce:${bounce.feedbackId ?? bounce.timestamp ?? ''}`,
      },
    };
  }
  const complaint = data.complaint;
  if (!complaint) return { kind: 'invalid', reason: 'Invalid SES event: complaint is missing' };
  const at = eventTime(complaint.timestamp);
  return {
    kind: 'event',
    event: {
      ...base,
      blockAddresses: complaint.complainedRecipients.map((r) => r.emailAddress.toLowerCase()),
      ...(at ? { at } : {}),
      eventKey: `ses:${data.mail.messageId}:complaint:${complaint.feedbackId ?? complaint.timestamp ?? ''}`,
    },
  };
}
