import type { InboundEvent, InboundMessageEvent } from '../types.ts';
import { attachmentRef } from './attachment.ts';
import { type AuthOptions, type AuthVerdict, authenticateMail } from './authenticate.ts';
import { deliveryReport } from './dsn.ts';
import { noiseReason } from './noise.ts';
import { boundReferences, type ParsedEmail, parseEmail } from './parse.ts';
import { replyText } from './reply-text.ts';
import { threadSubject } from './subject.ts';

/** Most characters of a mail's full text kept on the message (the raw mail keeps everything). */
const MAX_FULL_TEXT = 200_000;
/** Most characters of the new text the agent sees. */
const MAX_REPLY_TEXT = 50_000;

/** The email settings inbound processing reads (shared by every email provider). */
export type InboundMailSettings = {
  from_email: string;
  require_authentication?: boolean;
  trusted_authserv_ids?: string[];
};

/** What became of one raw mail: its status on the raw mail row, and the events to ingest. */
export type MailOutcome = {
  status: 'accepted' | 'ignored' | 'rejected' | 'failed';
  reason?: string;
  verdict?: AuthVerdict;
  events: InboundEvent[];
};

/**
 * Turns a raw inbound mail into engine events: a delivery report for one of our mails becomes a status
 * update; a person's mail becomes a message (the new text for the agent, the full text and verdict kept);
 * auto-replies and list mail become messages that are recorded but never answered; forged mail (DMARC
 * fail under p=reject/quarantine) and, by policy, unauthenticated mail are rejected without a message.
 */
export async function readInboundMail(
  raw: Buffer,
  input: { rawMailId: string; settings: InboundMailSettings; auth: AuthOptions },
): Promise<MailOutcome> {
  let mail: ParsedEmail;
  try {
    mail = await parseEmail(raw);
  } catch {
    return { status: 'failed', reason: 'unparseable', events: [] };
  }
  const report = deliveryReport(mail);
  if (report) {
    const status = {
      kind: 'status' as const,
      eventId: `rawmail:${input.rawMailId}`,
      providerMessageId: report.originalMessageId,
      status: report.permanent ? ('blocked' as const) : ('failed' as const),
      error: { code: report.status, message: report.diagnostic ?? `Delivery failed (${report.status})` },
    };
    return { status: 'ignored', reason: 'bounce', events: [status] };
  }
  if (!mail.from) return { status: 'failed', reason: 'no_sender', events: [] };
  // Authentication vouches for From's only mailbox; an author taken from Sender is never verified.
  const verdict = await authenticateMail(raw, mail.singleFrom, input.auth);
  const noise = noiseReason(mail, input.settings.from_email);
  if (noise === 'bounce' || noise === 'own_address')
    return { status: 'ignored', reason: noise, verdict, events: [] };
  if (
    verdict.dmarc === 'fail' &&
    (verdict.dmarc_policy === 'reject' || verdict.dmarc_policy === 'quarantine')
  ) {
    return { status: 'rejected', reason: 'dmarc_fail', verdict, events: [] };
  }
  if (input.settings.require_authentication && !verdict.verified) {
    return { status: 'rejected', reason: 'unauthenticated', verdict, events: [] };
  }
  const event = messageEvent(mail, input.rawMailId, verdict, noise);
  return {
    status: noise ? 'ignored' : 'accepted',
    ...(noise ? { reason: noise } : {}),
    verdict,
    events: [event],
  };
}

function messageEvent(
  mail: ParsedEmail,
  rawMailId: string,
  verdict: AuthVerdict,
  noise: string | undefined,
): InboundMessageEvent {
  const address = (mail.from?.address ?? '').toLowerCase();
  const full = mail.text.slice(0, MAX_FULL_TEXT);
  const text = replyText(full).slice(0, MAX_REPLY_TEXT);
  const subject = threadSubject(mail.subject);
  // Newest first: the direct parents, then the thread from its newest end.
  const parents = [...new Set([...mail.inReplyToIds, ...[...mail.references].reverse()])];
  const references = boundReferences([...mail.references, ...(mail.messageId ? [mail.messageId] : [])]);
  return {
    kind: 'message',
    eventId: `rawmail:${rawMailId}`,
    providerMessageId: mail.messageId ?? `rawmail:${rawMailId}`,
    sender: {
      platformUserId: address,
      chatId: address,
      ...(mail.from?.name ? { displayName: mail.from.name.slice(0, 200) } : {}),
      // Only a From domain that passed DMARC (or aligned DKIM) vouches for the address.
      ...(verdict.verified ? { email: address } : {}),
    },
    text,
    attachments: mail.attachments.map(({ index, contentId, ...meta }) => ({
      ...meta,
      ref: attachmentRef(rawMailId, index),
      ...(contentId ? { extra: { content_id: contentId } } : {}),
    })),
    metadata: {
      email: {
        subject,
        ...(mail.messageId ? { last_message_id: mail.messageId } : {}),
        references,
      },
    },
    messageMetadata: {
      email: {
        ...(mail.messageId ? { message_id: mail.messageId } : {}),
        subject: mail.subject,
        ...(mail.inReplyTo ? { in_reply_to: mail.inReplyTo } : {}),
        full_text: full,
        auth: verdict,
        raw_mail_id: rawMailId,
        ...(mail.authorHeader === 'sender' ? { author_header: 'sender' } : {}),
        ...(noise ? { not_answered: noise } : {}),
      },
    },
    ...(parents.length > 0 ? { inReplyTo: parents } : {}),
    ...(noise ? { noReply: noise } : {}),
    ...(mail.date ? { sentAt: mail.date } : {}),
  };
}
