import { createHash } from 'node:crypto';

/** One inbound mail a provider delivered as parsed fields (SendGrid Parse default form, Mailgun route forward). */
export type ParsedInboundMail = {
  /** The original header lines in order, as received (values may be RFC 2047 encoded). */
  headers: [name: string, value: string][];
  /** Used only when the header block has no such header. */
  from?: string;
  to?: string;
  cc?: string;
  subject?: string;
  text?: string;
  html?: string;
  attachments?: { filename?: string; contentType?: string; content: Buffer; cid?: string }[];
};

/** Headers describing the original body's structure: the composed mail has its own. */
const STRUCTURAL = new Set([
  'content-type',
  'content-transfer-encoding',
  'mime-version',
  'content-disposition',
]);
const MAX_HEADERS = 500;
const MAX_HEADER_BLOCK = 256 * 1024;
const ASCII = /^[\x20-\x7e\t]*$/;

/** Splits a raw header block ("Name: value" lines, folded continuation lines) into ordered pairs; bounded. */
export function headerPairs(block: string): [string, string][] {
  const pairs: [string, string][] = [];
  const unfolded = block.slice(0, MAX_HEADER_BLOCK).replace(/\r?\n(?=[ \t])/g, '');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    pairs.push([name, line.slice(colon + 1).trim()]);
    if (pairs.length >= MAX_HEADERS) break;
  }
  return pairs;
}

const has = (pairs: [string, string][], name: string) => pairs.some(([key]) => key.toLowerCase() === name);

/**
 * Rebuilds RFC 5322 bytes from a provider's parsed fields with nodemailer's MailComposer, keeping the original
 * headers (threading, auto-reply and list markers, Received, Authentication-Results) so the shared pipeline reads
 * it exactly as the raw form. A mail without Message-ID gets a stable one derived from its content, so a
 * redelivery is recognised. Never reads files or URLs.
 */
export async function composeInboundMail(mail: ParsedInboundMail): Promise<Buffer> {
  const kept = mail.headers.filter(([name]) => !STRUCTURAL.has(name.toLowerCase())).slice(0, MAX_HEADERS);
  const headers = kept.map(([key, value]) => ({ key, value, prepared: ASCII.test(value) }));
  const stable = createHash('sha256')
    .update(JSON.stringify([kept, mail.from, mail.to, mail.subject, mail.text, mail.html]))
    .digest('hex')
    .slice(0, 32);
  // Loaded on first use, like the other mail libraries: a server without email never pays for it.
  const { default: MailComposer } = await import('nodemailer/lib/mail-composer/index.js');
  const composer = new MailComposer({
    ...(!has(kept, 'from') && mail.from ? { from: mail.from } : {}),
    ...(!has(kept, 'to') && mail.to ? { to: mail.to } : {}),
    ...(!has(kept, 'cc') && mail.cc ? { cc: mail.cc } : {}),
    ...(!has(kept, 'subject') && mail.subject !== undefined ? { subject: mail.subject } : {}),
    ...(!has(kept, 'message-id') ? { messageId: `<${stable}@inbound.invalid>` } : {}),
    ...(mail.text !== undefined ? { text: mail.text } : {}),
    ...(mail.html !== undefined ? { html: mail.html } : {}),
    headers,
    attachments: (mail.attachments ?? []).map((attachment) => ({
      content: attachment.content,
      ...(attachment.filename ? { filename: attachment.filename } : {}),
      ...(attachment.contentType ? { contentType: attachment.contentType } : {}),
      ...(attachment.cid ? { cid: attachment.cid } : {}),
    })),
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const root = composer.compile();
  // A report (DSN, read receipt) stays one, so noise and DSN handling see it; only a multipart root can be.
  const report = mail.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  const reportType = /^\s*multipart\/report\b/i.test(report)
    ? /report-type\s*=\s*"?([a-z0-9-]{1,40})/i.exec(report)?.[1]
    : undefined;
  if (reportType && root.childNodes.length > 0) {
    root.setHeader('Content-Type', `multipart/report; report-type=${reportType.toLowerCase()}`);
  }
  return root.build();
}
