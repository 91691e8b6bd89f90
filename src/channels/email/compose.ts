import type { SendMailOptions } from 'nodemailer';
import { DeliveryError } from '../errors.ts';
import type { OutboundMessage } from '../types.ts';
import { markdownToEmailHtml, markdownToText } from './html.ts';
import { boundReferences } from './parse.ts';
import { replySubject } from './subject.ts';

/** The thread facts kept in the conversation's channel_metadata.email by inbound processing. */
export type EmailThread = { subject?: string; last_message_id?: string; references?: string[] };

export type Sender = { from_email: string; from_name?: string };

/** The Message-ID of one outbound message: stable across retries (the message id), on the sender's domain. */
export function outboundMessageId(message: OutboundMessage, fromEmail: string): string {
  const domain = fromEmail.split('@').pop() ?? 'localhost';
  return `${message.idempotencyKey.toLowerCase()}@${domain.toLowerCase()}`;
}

const bracket = (id: string) => `<${id}>`;

/**
 * One plain addr-spec: no list separators, comments, quotes, brackets, spaces or control characters. The
 * recipient is the inbound sender's address as mailparser read it, which keeps `a@x;b@y` or `"a@x,b"@y` as one
 * address; nodemailer (and a provider's `to` field) would read a separator there as a list of recipients.
 */
const PLAIN_ADDRESS = /^[^\s\p{Cc}@,;:<>()[\]\\"]+@[^\s\p{Cc}@,;:<>()[\]\\"]+$/u;

/** The reply's only recipient, refused (permanently) unless it is one plain address. */
function recipientOf(message: OutboundMessage): string {
  const address = message.recipient.chatId;
  if (!PLAIN_ADDRESS.test(address)) {
    throw new DeliveryError('The recipient is not one plain email address', {
      code: 'invalid_recipient',
      retryable: false,
    });
  }
  return address;
}

/** The subject of a mail that starts a thread (outreach): there is nothing to answer with `Re:`. */
const newThreadSubject = (sender: Sender) => `Message from ${sender.from_name || sender.from_email}`;

/** The thread this reply continues, from the conversation's channel_metadata. */
export function threadOf(message: OutboundMessage): EmailThread {
  const email = message.channelMetadata?.email;
  return email && typeof email === 'object' ? (email as EmailThread) : {};
}

/**
 * One reply as one email (provider-neutral nodemailer message options): multipart/alternative with the
 * agent's markdown as text and as sanitized HTML; `Re: <thread subject>`; a Message-ID of our own;
 * In-Reply-To the mail it answers and References the thread (bounded); `Auto-Submitted: auto-replied`
 * so other robots do not answer it (not on an operator's mail). Attachments are added by the caller (they need fetching).
 */
export function composeReply(
  message: OutboundMessage,
  sender: Sender,
): SendMailOptions & { messageId: string } {
  const to = recipientOf(message);
  const thread = threadOf(message);
  const messageId = outboundMessageId(message, sender.from_email);
  const parent = thread.last_message_id;
  const references = [...(thread.references ?? [])];
  if (parent && references.at(-1) !== parent) references.push(parent);
  return {
    from: sender.from_name ? { name: sender.from_name, address: sender.from_email } : sender.from_email,
    to,
    subject: thread.subject || parent ? replySubject(thread.subject) : newThreadSubject(sender),
    messageId: bracket(messageId),
    ...(parent ? { inReplyTo: bracket(parent) } : {}),
    ...(references.length > 0 ? { references: boundReferences(references).map(bracket) } : {}),
    // A person's mail (an operator's) is not an automatic reply: other robots may answer it as usual.
    ...(message.author === 'human'
      ? {}
      : { headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' } }),
    text: markdownToText(message.text),
    html: markdownToEmailHtml(message.text),
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
