import { normalizeMessageId } from '../email/headers.ts';
import { threadSubject } from '../email/subject.ts';
import type { InboundMessageEvent } from '../types.ts';
import { SANDBOX_MAIL_DOMAIN, type SandboxChannel, sandboxChatId, sandboxUserId } from './identity.ts';

/** A customer message typed into the playground. */
export type SandboxInput = {
  channel: SandboxChannel;
  /** The customer's sandbox name (`alice`): their platform id is `sandbox:alice`. */
  from: string;
  displayName?: string;
  text: string;
  /** The dedupe key, as a provider's message id: the same id posted twice is one message. */
  messageId: string;
  /** Email: the mail's subject. */
  subject?: string;
  /** Email: the Message-ID this mail answers (one of the agent's replies). */
  inReplyTo?: string;
  sentAt: Date;
};

/** The Message-ID of a sandbox customer's mail. */
export const sandboxMailId = (messageId: string) => `${messageId}@${SANDBOX_MAIL_DOMAIN}`;

/**
 * The normalized event a provider webhook would have produced for this message, so it takes the same durable
 * ingest and engine path. Nothing in it is a verified attribute (no phone, no email): a sandbox customer never
 * links to a real contact. Email carries the thread facts the mail pipeline records (subject, Message-ID,
 * In-Reply-To), so replies thread and the customer's answer continues the conversation.
 */
export function sandboxMessageEvent(input: SandboxInput): InboundMessageEvent {
  const platformUserId = sandboxUserId(input.from);
  const base = {
    kind: 'message' as const,
    eventId: `sandbox:${input.messageId}`,
    sender: {
      platformUserId,
      chatId: sandboxChatId(input.channel, input.from),
      ...(input.displayName ? { displayName: input.displayName } : {}),
    },
    text: input.text,
    sentAt: input.sentAt.toISOString(),
  };
  if (input.channel !== 'email') return { ...base, providerMessageId: `sandbox:${input.messageId}` };
  const mailId = sandboxMailId(input.messageId);
  const parent = input.inReplyTo ? normalizeMessageId(input.inReplyTo) : undefined;
  const subject = input.subject ?? '';
  return {
    ...base,
    providerMessageId: mailId,
    metadata: {
      email: {
        subject: threadSubject(subject),
        last_message_id: mailId,
        references: [...(parent ? [parent] : []), mailId],
      },
    },
    messageMetadata: {
      email: {
        message_id: mailId,
        subject,
        ...(parent ? { in_reply_to: parent } : {}),
        full_text: input.text,
        sandbox: true,
      },
    },
    ...(parent ? { inReplyTo: [parent] } : {}),
  };
}
