import type { AddressObject, ParsedMail } from 'mailparser';
import type { AttachmentMeta } from '../types.ts';
import { normalizeMessageId, rawMessageId } from './headers.ts';

/** Most attachments listed per mail (the rest are counted, not listed). */
const MAX_ATTACHMENTS = 50;
/** Most References kept from an inbound mail. */
export const MAX_REFERENCES = 30;

/**
 * A thread's ids cut to MAX_REFERENCES: the first (the thread's root) and the newest ones, as RFC 5537 §3.4.4
 * trims References (the root must not be removed); clients that thread by the root keep the thread.
 */
export function boundReferences(ids: readonly string[]): string[] {
  return ids.length <= MAX_REFERENCES ? [...ids] : [ids[0]!, ...ids.slice(-(MAX_REFERENCES - 1))];
}

export type MailAddress = { address: string; name?: string };

/** What the channel needs from one inbound mail, charset-decoded and bounded. */
export type ParsedEmail = {
  messageId?: string;
  inReplyTo?: string;
  /** Every id In-Reply-To names (a merge reply has several parents), normalized, bounded. */
  inReplyToIds: string[];
  /** Normalized ids, oldest first, bounded. */
  references: string[];
  /**
   * Who wrote the mail: From's only mailbox; when From has none (an RFC 6854 group such as
   * `undisclosed-recipients:;`) or several, the `Sender` mailbox (RFC 5322 §3.6.2); else From's first mailbox.
   */
  from?: MailAddress;
  /** Which header `from` came from. */
  authorHeader?: 'from' | 'sender';
  /**
   * The address of From's only mailbox, the one identity sender authentication (DMARC, aligned DKIM) can vouch
   * for; absent for a group or several mailboxes.
   */
  singleFrom?: string;
  subject: string;
  /** The full body as text: the text/plain part, else the HTML part as text. */
  text: string;
  /** The HTML part, when there is one (quote stripping uses its structure). */
  html?: string;
  date?: string;
  /** Lowercased header name → unfolded, decoded value (first occurrence). */
  headers: Map<string, string>;
  /** `Return-Path` address; '' for the null return path `<>`; undefined when absent. */
  returnPath?: string;
  /** The top-level content type with its parameters, e.g. `multipart/report; report-type=delivery-status`. */
  contentType: string;
  attachments: (AttachmentMeta & { index: number; contentId?: string })[];
  /** The body parts mailparser lists as attachments (DSN status and original headers included). */
  parts: { contentType: string; content: Buffer }[];
};

const headerText = (value: unknown): string => {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(headerText).join(', ');
  if (typeof value === 'object' && 'value' in value) {
    const structured = value as { value: unknown; params?: Record<string, string> };
    if (typeof structured.value === 'string') {
      const params = Object.entries(structured.params ?? {}).map(([k, v]) => `; ${k}=${v}`);
      return structured.value + params.join('');
    }
    if ('text' in value) return String((value as { text: string }).text);
  }
  return String(value);
};

/** The mailboxes of an address header that carry an address (a group's members are not the author's). */
const mailboxes = (value: AddressObject | AddressObject[] | undefined): MailAddress[] => {
  const objects = Array.isArray(value) ? value : value ? [value] : [];
  return objects.flatMap((object) =>
    object.value.flatMap((entry) =>
      entry.address ? [{ address: entry.address, ...(entry.name ? { name: entry.name } : {}) }] : [],
    ),
  );
};

/** The author: From's only mailbox, else Sender's (RFC 5322 §3.6.2), else From's first. */
function author(
  from: MailAddress[],
  sender: MailAddress | undefined,
): Pick<ParsedEmail, 'from' | 'authorHeader' | 'singleFrom'> {
  const [first] = from;
  if (first && from.length === 1) return { from: first, authorHeader: 'from', singleFrom: first.address };
  if (sender) return { from: sender, authorHeader: 'sender' };
  return first ? { from: first, authorHeader: 'from' } : {};
}

function idList(value: string | string[] | undefined): string[] {
  const raw = Array.isArray(value) ? value.join(' ') : (value ?? '');
  const ids = [...raw.matchAll(/<[^<>\s]+>/g)]
    .map((m) => normalizeMessageId(m[0]))
    .filter((id): id is string => id !== undefined);
  return boundReferences(ids);
}

/** Attachment kind from its MIME type. */
export function attachmentType(contentType: string): AttachmentMeta['type'] {
  if (contentType.startsWith('image/')) return 'image';
  if (contentType.startsWith('audio/')) return 'audio';
  if (contentType.startsWith('video/')) return 'video';
  return 'document';
}

/** Parses a raw mail with mailparser: every charset, encoded-word and transfer encoding decoded. */
export async function parseEmail(raw: Buffer): Promise<ParsedEmail> {
  // Loaded on first use: the mail libraries add about a second to start-up otherwise.
  const { simpleParser } = await import('mailparser');
  const mail: ParsedMail = await simpleParser(raw, {
    skipImageLinks: true,
    keepDeliveryStatus: true,
    maxHtmlLengthToParse: 5_000_000,
  });
  const headers = new Map<string, string>();
  for (const [key, value] of mail.headers) {
    if (!headers.has(key)) headers.set(key, headerText(value).slice(0, 4000));
  }
  // mailparser folds the List-* headers into one `list` entry: keep each under its own name, as sent.
  for (const { key, line } of mail.headerLines) {
    if (headers.has(key)) continue;
    const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ');
    headers.set(key, value.trim().slice(0, 4000));
  }
  const returnPathHeader = headers.get('return-path');
  const returnPath =
    returnPathHeader === undefined
      ? undefined
      : (/<([^>]*)>/.exec(returnPathHeader)?.[1] ?? returnPathHeader).trim();
  const messageId = (mail.messageId && normalizeMessageId(mail.messageId)) ?? rawMessageId(raw);
  const inReplyToIds = idList(mail.inReplyTo);
  const inReplyTo = inReplyToIds.at(-1);
  const sender = mailboxes(mail.headers.get('sender') as AddressObject | undefined)[0];
  const html = typeof mail.html === 'string' ? mail.html : undefined;
  return {
    ...(messageId ? { messageId } : {}),
    ...(inReplyTo ? { inReplyTo } : {}),
    inReplyToIds,
    references: idList(mail.references),
    ...author(mailboxes(mail.from), sender),
    subject: (mail.subject ?? '').replace(/\s+/g, ' ').trim().slice(0, 998),
    text: (mail.text ?? '').replace(/\r\n/g, '\n'),
    ...(html ? { html } : {}),
    ...(mail.date ? { date: mail.date.toISOString() } : {}),
    headers,
    ...(returnPath !== undefined ? { returnPath } : {}),
    contentType: headers.get('content-type') ?? 'text/plain',
    attachments: mail.attachments.slice(0, MAX_ATTACHMENTS).map((attachment, index) => ({
      index,
      type: attachmentType(attachment.contentType),
      mime_type: attachment.contentType,
      size: attachment.size,
      ...(attachment.filename ? { name: attachment.filename } : {}),
      ...(attachment.contentId ? { contentId: attachment.contentId } : {}),
    })),
    parts: mail.attachments.map((a) => ({ contentType: a.contentType, content: a.content })),
  };
}
