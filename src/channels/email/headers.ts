import { createHash } from 'node:crypto';

/** Most header bytes scanned for the Message-ID before the body (RFC 5322 headers are rarely over 64 KB). */
const HEADER_SCAN_BYTES = 256 * 1024;

/** The header block of a raw message (up to the first empty line), as latin1 text. */
function headerBlock(raw: Uint8Array): string {
  const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, HEADER_SCAN_BYTES));
  const text = head.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return end === -1 ? text : text.slice(0, end);
}

/**
 * A message id without its angle brackets, domain part lowercased for matching (`<Ab@X.org>` → `Ab@x.org`);
 * the local part keeps its case (it is echoed back exactly in In-Reply-To).
 */
export function normalizeMessageId(value: string): string | undefined {
  const match = /<([^<>\s]{1,900})>/.exec(value) ?? /^\s*([^<>\s]{1,900})\s*$/.exec(value);
  const id = match?.[1];
  if (!id) return undefined;
  const at = id.lastIndexOf('@');
  return at === -1 ? id : id.slice(0, at) + id.slice(at).toLowerCase();
}

/** The Message-ID of a raw message, normalized; undefined when it has none. */
export function rawMessageId(raw: Uint8Array): string | undefined {
  const unfolded = headerBlock(raw).replace(/\r?\n[ \t]+/g, ' ');
  const line = /^message-id:[ \t]*(.*)$/im.exec(unfolded);
  return line?.[1] ? normalizeMessageId(line[1]) : undefined;
}

/** The key a redelivered mail is recognised by: its Message-ID, else a hash of its bytes. */
export function mailDedupeKey(raw: Uint8Array): string {
  const id = rawMessageId(raw);
  return id ? `mid:${id}` : `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}
