import busboy from 'busboy';
import { decode, encodingExists } from 'iconv-lite';
import { InboundMailError } from './inbound-mail-error.ts';

/** One part of a provider's form post: raw bytes, so each field can be decoded in the charset the provider names. */
export type FormPart = { name: string; value: Buffer; filename?: string; contentType?: string };

const MAX_FIELDS = 1000;
const MAX_FILES = 100;

/**
 * Reads a `multipart/form-data` or `application/x-www-form-urlencoded` body with busboy, bounded (fields,
 * files, the body's own size). Text fields keep their bytes: `latin1` maps bytes 1:1 (for SendGrid Parse,
 * whose fields come in the charsets it lists), `utf8` decodes them (Mailgun converts to UTF-8).
 */
export function readForm(
  body: Uint8Array,
  contentType: string,
  fieldCharset: 'latin1' | 'utf8',
): Promise<FormPart[]> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
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

/** Bytes in a named charset as text (iconv-lite: every charset a mail client uses, cp850 included); else UTF-8. */
export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const name = charset?.trim();
  return decode(bytes, name && encodingExists(name) ? name : 'utf8');
}
