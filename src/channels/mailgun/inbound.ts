import { composeInboundMail, headerPairs } from '../email/compose-inbound.ts';
import { field, type FormPart, readForm } from '../email/form-data.ts';
import { InboundMailError } from '../email/inbound-mail-error.ts';
import type { AdapterContext, InboundMail, ProviderMailVerdict, RawRequest, VerifyResult } from '../types.ts';
import { verifyMailgunSignature } from './signature.ts';

/** A route post is read once: verify and parse get the same parts. */
const forms = new WeakMap<RawRequest, Promise<FormPart[]>>();

function formOf(request: RawRequest): Promise<FormPart[]> {
  let form = forms.get(request);
  if (!form) {
    const contentType = request.headers.get('content-type') ?? '';
    form = /^(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(contentType)
      ? readForm(request.body, contentType, 'latin1')
      : Promise.reject(new InboundMailError('Mailgun routes post a form (or send message/rfc822)', 415));
    forms.set(request, form);
  }
  return form;
}

/** A text field: Mailgun converts them to UTF-8 (the form keeps bytes, for `body-mime`). */
const str = (parts: FormPart[], name: string) => field(parts, name)?.toString('utf8');

/** Route forward: the `timestamp`/`token`/`signature` fields (HMAC, 15-minute window, token once). */
export async function verifyMailgunInbound(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult> {
  let parts: FormPart[];
  try {
    parts = await formOf(request);
  } catch {
    return { ok: false, reason: 'unreadable form' };
  }
  return verifyMailgunSignature(
    { timestamp: str(parts, 'timestamp'), token: str(parts, 'token'), signature: str(parts, 'signature') },
    ctx,
  );
}

/** A structured header value as Mailgun posts it (`["multipart/report", {"report-type": "…"}]`) as text. */
function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value) || typeof value[0] !== 'string') return undefined;
  const params = value[1] && typeof value[1] === 'object' ? Object.entries(value[1] as object) : [];
  return [value[0], ...params.map(([k, v]) => `${k}="${String(v).replace(/["\\\r\n]/g, '')}"`)].join('; ');
}

/** `message-headers`: Mailgun's JSON array of `[name, value]` pairs, in order (Content-Type as `[type, params]`). */
function messageHeaders(parts: FormPart[]): [string, string][] {
  const raw = str(parts, 'message-headers');
  if (!raw) return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (!Array.isArray(parsed)) throw new Error('not an array');
    return parsed
      .map((pair: unknown) => (Array.isArray(pair) ? [pair[0], headerText(pair[1])] : []))
      .filter((pair): pair is [string, string] => typeof pair[0] === 'string' && typeof pair[1] === 'string')
      .slice(0, 500);
  } catch {
    throw new InboundMailError(
      'Invalid Mailgun post: message-headers is not a JSON array of [name, value]',
      406,
    );
  }
}

/** A header from the form fields (Mailgun posts each as its own field) or `message-headers`. */
function headerValue(parts: FormPart[], headers: [string, string][], name: string): string | undefined {
  const lower = name.toLowerCase();
  const fromField = parts.find((part) => part.filename === undefined && part.name.toLowerCase() === lower);
  return fromField?.value.toString('utf8') ?? headers.find(([key]) => key.toLowerCase() === lower)?.[1];
}

/** SPF/DKIM verdicts arrive only as `X-Mailgun-Spf` and `X-Mailgun-Dkim-Check-Result`. */
function verdictOf(parts: FormPart[], headers: [string, string][]): ProviderMailVerdict {
  const spf = headerValue(parts, headers, 'X-Mailgun-Spf')?.trim().toLowerCase();
  const dkim = headerValue(parts, headers, 'X-Mailgun-Dkim-Check-Result')?.trim().toLowerCase();
  // The passing domain is known only when the mail had exactly one signature.
  const signatures = headers.filter(([key]) => key.toLowerCase() === 'dkim-signature');
  const domain =
    signatures.length === 1 ? /(?:^|;)\s*d=([^;\s]+)/i.exec(signatures[0]?.[1] ?? '')?.[1] : undefined;
  return {
    provider: 'mailgun',
    ...(spf ? { spf } : {}),
    ...(dkim ? { dkim } : {}),
    ...(dkim === 'pass' && domain ? { dkim_domains: [domain.toLowerCase()] } : {}),
  };
}

/** `content-id-map` (`{"<cid>":"attachment-1"}`) turned around: attachment field → content id. */
function contentIds(parts: FormPart[]): Map<string, string> {
  try {
    const map = JSON.parse(str(parts, 'content-id-map') ?? '{}') as Record<string, unknown>;
    return new Map(
      Object.entries(map)
        .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
        .map(([cid, name]) => [name, cid.replace(/^<|>$/g, '')]),
    );
  } catch {
    return new Map();
  }
}

/**
 * One route forward → one raw mail: `body-mime` (a URL ending in "mime") is the original bytes; the parsed forward
 * is rebuilt from `message-headers`, `body-plain`/`body-html` and the `attachment-N` files. A `store()`
 * notification (a `message-url`, no mail) is refused with 406, Mailgun's "do not retry".
 */
export async function parseMailgunInbound(request: RawRequest): Promise<InboundMail[]> {
  const parts = await formOf(request);
  const headers = messageHeaders(parts);
  const verdict = verdictOf(parts, headers);
  const mime = field(parts, 'body-mime');
  if (mime) return [{ raw: mime, composed: false, verdict }];
  if (field(parts, 'message-url')) {
    throw new InboundMailError(
      'Mailgun store() notifications carry no mail: use forward() in the route',
      406,
    );
  }
  const text = str(parts, 'body-plain');
  const html = str(parts, 'body-html');
  if (text === undefined && html === undefined) {
    throw new InboundMailError('Invalid Mailgun post: no body-mime, body-plain or body-html field', 406);
  }
  const cids = contentIds(parts);
  const own =
    headers.length > 0
      ? headers
      : headerPairs(
          ['From', 'To', 'Subject', 'Message-Id', 'In-Reply-To', 'References', 'Date']
            .map((name) => [name, headerValue(parts, [], name)] as const)
            .filter((pair): pair is readonly [string, string] => pair[1] !== undefined)
            .map(([name, value]) => `${name}: ${value.replace(/[\r\n]+/g, ' ')}`)
            .join('\n'),
        );
  const raw = await composeInboundMail({
    headers: own,
    ...(str(parts, 'from') !== undefined ? { from: str(parts, 'from') } : {}),
    ...(str(parts, 'recipient') !== undefined ? { to: str(parts, 'recipient') } : {}),
    ...(str(parts, 'subject') !== undefined ? { subject: str(parts, 'subject') } : {}),
    ...(text !== undefined ? { text } : {}),
    ...(html !== undefined ? { html } : {}),
    attachments: parts
      .filter((part) => part.filename !== undefined && /^attachment-\d+$/.test(part.name))
      .map((part) => ({
        content: part.value,
        ...(part.filename ? { filename: part.filename } : {}),
        ...(part.contentType ? { contentType: part.contentType } : {}),
        ...(cids.get(part.name) ? { cid: cids.get(part.name) } : {}),
      })),
  });
  return [{ raw, composed: true, verdict }];
}
