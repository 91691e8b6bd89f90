import type { InboundEvent, InboundStatusEvent } from '../types.ts';

/** What one provider delivery event says about one mail we sent. */
export type MailEventFacts = {
  /** Prefix of the event ids (the provider's name). */
  provider: string;
  /** The provider's id for this event: the dedupe key. */
  eventKey: string;
  providerMessageId: string;
  /** Our message id, when the provider echoed it (custom args, variables, tags). */
  messageId?: string | undefined;
  /** The recipient, lowercased, for blocking. */
  address?: string | undefined;
  at?: string | undefined;
  reason: string;
};

/** Latest event time accepted (2100-01-01): a later or earlier one is a provider glitch, not a time. */
const MAX_EVENT_MS = Date.UTC(2100, 0, 1);

/**
 * An event's time as ISO 8601, from unix seconds (SendGrid, Mailgun; fractions kept) or an ISO string (SES);
 * undefined when unreadable or outside 1970–2100, so an odd value neither throws nor reaches the database.
 */
export function eventTime(value: unknown): string | undefined {
  const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) && ms >= 0 && ms < MAX_EVENT_MS ? new Date(ms).toISOString() : undefined;
}

/**
 * The engine events a delivery event becomes: `status` for our message (only when it names one), `block` to stop
 * emailing the recipient (hard bounce, complaint, unsubscribe).
 */
export function mailEventBuilder(facts: MailEventFacts) {
  const { provider, eventKey, providerMessageId, messageId, address, at, reason } = facts;
  return {
    status: (value: InboundStatusEvent['status'], code?: string): InboundEvent[] =>
      providerMessageId || messageId
        ? [
            {
              kind: 'status',
              eventId: `${provider}:${eventKey}`,
              providerMessageId: providerMessageId || (messageId as string),
              status: value,
              ...(messageId ? { messageId } : {}),
              ...(at ? { at } : {}),
              ...(code ? { error: { code, message: reason } } : {}),
            },
          ]
        : [],
    block: (): InboundEvent[] =>
      address
        ? [
            {
              kind: 'contact',
              eventId: `${provider}:${eventKey}:block`,
              platformUserId: address,
              blocked: true,
            },
          ]
        : [],
  };
}
