import busboy from 'busboy';
import { decode, encodingExists } from 'iconv-lite';
import { InboundMailError } from './inbound-mail-error.ts';

/** One part of a provider's form post: raw bytes, so each field can be decoded in the charset the provider names. */
export type FormPart = { name: string; value: Buffer; filename?: string; contentType?: string };

const MAX_FIELDS = 1000;
const MAX_FILES = 100;

/**
 * Reads a `multipart/form-data` or `application/x-www-form-urlencoded` body with busboy, bounded (fields,
 * files, the body's own size). Text fields keep their bytes: `latin1` maps bytes 1:1 (SendGrid Parse fields come
 * in the charsets it lists; Mailgun's `body-mime` is the mail as received), even when the request names a
 * charset; `utf8` decodes them.
 */
export function readForm(
  body: Uint8Array,
  contentType: string,
  fieldCharset: 'latin1' | 'utf8',
): Promise<FormPart[]> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // A urlencoded body's charset would make busboy decode the bytes we keep.
      const type =
        fieldCharset === 'latin1' ? contentType.replace(/;\s*charset=("[^"]*"|[^;]*)/i, '') : contentType;
      parser = busboy({
        headers: { 'content-type': type },
        defCharset: fieldCharset,
        defParamCharset: 'utf8',
        limits: {
          fields: MAX_FIELDS,
          files: MAX_FILES,
          parts: MAX_FIELDS + MAX_FILES,
          fieldSize: body.byteLength + 1,
          fileSize: body.byteLength + 1,
          fieldNameSize: 200,
        },
      });
    } catch (error) {
      reject(new InboundMailError(`Invalid form body: ${(error as Error).message}`, 415));
      return;
    }
    const parts: FormPart[] = [];
    const pending: Promise<void>[] = [];
    const fail = (message: string) => reject(new InboundMailError(message, 413));
    parser.on('field', (name, value) => {
      parts.push({ name, value: Buffer.from(value, fieldCharset === 'latin1' ? 'latin1' : 'utf8') });
    });
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      pending.push(
        new Promise((done, failed) => {
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', failed);
          stream.on('end', () => {
            parts.push({
              name,
              value: Buffer.concat(chunks),
              ...(info.filename !== undefined ? { filename: info.filename } : {}),
              ...(info.mimeType ? { contentType: info.mimeType } : {}),
            });
            done();
          });
        }),
      );
    });
    parser.on('fieldsLimit', () => fail(`Too many form fields (max ${MAX_FIELDS})`));
    parser.on('filesLimit', () => fail(`Too many attachments (max ${MAX_FILES})`));
    parser.on('partsLimit', () => fail('Too many form parts'));
    parser.on('error', (error: Error) => reject(new InboundMailError(`Invalid form body: ${error.message}`)));
    parser.on('close', () => {
      Promise.all(pending).then(() => resolve(parts), reject);
    });
    parser.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
}

/** The first value of a field, if present. */
export const field = (parts: FormPart[], name: string): Buffer | undefined =>
  parts.find((part) => part.name === name && part.filename === undefined)?.value;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes whose charset is unknown (or claimed ASCII): UTF-8 when they are valid UTF-8, else windows-1252. */
function guessDecode(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return decode(bytes, 'windows-1252');
  }
}

/**
 * Bytes in a named charset as text: iconv-lite (every charset a mail client uses, cp850 included), then the
 * WHATWG decoders built into Node for the ones it lacks (ISO-2022-JP); unknown, missing or ASCII labels guess.
 */
export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const name = (charset ?? '').trim().replace(/^["']|["']$/g, '');
  if (!name || /^((us-)?ascii|ansi_x3\.4-1968)$/i.test(name)) return guessDecode(bytes);
  const whatwg = name.replace(/^iso-2022-jp-\d+$/i, 'iso-2022-jp');
  if (encodingExists(name)) return decode(bytes, name);
  try {
    return new TextDecoder(whatwg).decode(bytes);
  } catch {
    return guessDecode(bytes);
  }
}
