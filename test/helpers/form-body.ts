import { randomBytes } from 'node:crypto';

/** One part of a multipart/form-data body: raw bytes (any charset), optionally a file. */
export type FormField = { name: string; value: string | Buffer; filename?: string; contentType?: string };

/**
 * A multipart/form-data body built byte by byte, the way providers post it: a text field's bytes go out as
 * given (SendGrid Parse sends fields in the mail's own charsets, with no charset on the part).
 */
export function multipartBody(fields: FormField[]): { body: Buffer; contentType: string } {
  const boundary = `xYzZY${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const f of fields) {
    const disposition = `form-data; name="${f.name}"${f.filename !== undefined ? `; filename="${f.filename}"` : ''}`;
    const head = [`--${boundary}`, `Content-Disposition: ${disposition}`];
    if (f.contentType) head.push(`Content-Type: ${f.contentType}`);
    chunks.push(Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'utf8'));
    chunks.push(typeof f.value === 'string' ? Buffer.from(f.value, 'utf8') : f.value);
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Posts to a URL that may carry `user:password@` the way webhook senders do: the userinfo becomes Basic auth
 * (fetch refuses URLs with credentials).
 */
export async function postWithUrlCredentials(
  target: string,
  init: { body: Buffer | string; headers: Record<string, string> },
): Promise<{ status: number; text: string }> {
  const url = new URL(target);
  const headers = { ...init.headers };
  if (url.username) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: typeof init.body === 'string' ? init.body : new Uint8Array(init.body),
  });
  return { status: res.status, text: await res.text() };
}
