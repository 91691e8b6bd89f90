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
