import { isId } from '../../ids.ts';
import type { ParsedEmail } from './parse.ts';

/** Why a mail must not be answered (RFC 3834 and common practice); undefined when a person wrote it. */
export type NoiseReason =
  'auto_submitted' | 'auto_reply' | 'bulk' | 'list' | 'bounce' | 'own_address' | 'noreply_sender';

const SYSTEM_LOCAL =
  /^(mailer-daemon|postmaster|noreply|no-reply|no_reply|do-not-reply|donotreply|bounces?)([+-].*)?$/i;

/**
 * Out-of-office subjects, for servers that mark them with no header (Exchange, older Outlook rules),
 * localised: en, de, fr, es, pt, it, nl, sv, pl, ru, ja, zh.
 */
const AUTO_REPLY_SUBJECT =
  /^(automatic reply|auto[- ]?reply|out of (the )?office|automatische antwort|abwesenheitsnotiz|réponse automatique|respuesta automática|fuera de la oficina|resposta automática|risposta automatica|automatisch antwoord|automatiskt svar|odpowiedź automatyczna|автоматический ответ|自動応答|自动回复|自動回覆)\s*[:：]/i;

/**
 * Our own outbound mail come back under another From (a forwarder or a list re-sent it): its Message-ID is one we
 * made, `<message id>@<our from domain>` (compose.ts `outboundMessageId`).
 */
function isOurMessageId(messageId: string | undefined, ownAddress: string): boolean {
  const at = messageId?.lastIndexOf('@') ?? -1;
  if (!messageId || at === -1) return false;
  const ownDomain = ownAddress.split('@').pop()?.toLowerCase();
  return (
    messageId.slice(at + 1).toLowerCase() === ownDomain && isId('msg', messageId.slice(0, at).toLowerCase())
  );
}

/**
 * Classifies a parsed mail: auto-replies, bulk and list mail, bounces, our own mail and system senders
 * are recorded but never answered, so two robots never talk to each other.
 */
export function noiseReason(mail: ParsedEmail, ownAddress: string): NoiseReason | undefined {
  const header = (name: string) => mail.headers.get(name)?.trim().toLowerCase();
  if (/^multipart\/report/i.test(mail.contentType)) return 'bounce';
  if (mail.returnPath === '') return 'bounce';
  const from = mail.from?.address.toLowerCase();
  const local = from?.split('@')[0] ?? '';
  if (/^(mailer-daemon|postmaster)$/i.test(local)) return 'bounce';
  if ((from && from === ownAddress.toLowerCase()) || isOurMessageId(mail.messageId, ownAddress))
    return 'own_address';
  const autoSubmitted = header('auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') return 'auto_submitted';
  if (header('x-auto-response-suppress') !== undefined) return 'auto_reply';
  if (header('x-autoreply') !== undefined || header('x-autorespond') !== undefined) return 'auto_reply';
  const precedence = header('precedence');
  if (precedence && /^(bulk|junk|list|auto_reply)$/.test(precedence)) {
    return precedence === 'list' ? 'list' : precedence === 'auto_reply' ? 'auto_reply' : 'bulk';
  }
  if (AUTO_REPLY_SUBJECT.test(mail.subject)) return 'auto_reply';
  if (mail.headers.has('list-id') || mail.headers.has('list-unsubscribe')) return 'list';
  if (SYSTEM_LOCAL.test(local)) return 'noreply_sender';
  return undefined;
}
