import { isIP } from 'node:net';
import { composeInboundMail, headerPairs } from '../email/compose-inbound.ts';
import { decodeCharset, field, type FormPart, readForm } from '../email/form-data.ts';
import { InboundMailError } from '../email/inbound-mail-error.ts';
import type { InboundMail, ProviderMailVerdict, RawRequest } from '../types.ts';

/** Parse's `charsets` field: which charset each text field arrived in (`{"text":"windows-1252",…}`). */
function charsetsOf(parts: FormPart[]): Record<string, string> {
  const raw = field(parts, 'charsets');
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
  } catch {
    return {};
  }
}

/**
 * Parse's `dkim` field is not JSON: `{@example.org : pass}`, `{@a.example : pass, @b.example : fail}` or
 * `none`. Overall pass when any signature passed; the passing domains are named for DMARC alignment.
 */
export function parseDkimField(value: string): { dkim: string; domains: string[] } {
  const results = [...value.matchAll(/@?([a-z0-9][a-z0-9.-]*)\s*:\s*([a-z]+)/gi)]
    .slice(0, 20)
    .map((m) => ({ domain: (m[1] ?? '').toLowerCase(), result: (m[2] ?? '').toLowerCase() }));
  const domains = results.filter((r) => r.result === 'pass').map((r) => r.domain);
  const dkim = domains.length > 0 ? 'pass' : (results[0]?.result ?? 'none');
  return { dkim, domains };
}

function verdictOf(parts: FormPart[]): ProviderMailVerdict {
  const spf = field(parts, 'SPF')?.toString('latin1').trim().toLowerCase();
  const dkim = parseDkimField(field(parts, 'dkim')?.toString('latin1') ?? '');
  return {
    provider: 'sendgrid',
    ...(spf ? { spf } : {}),
    dkim: dkim.dkim,
    ...(dkim.domains.length > 0 ? { dkim_domains: dkim.domains } : {}),
  };
}

/** Parsed-form attachments: file parts `attachment1…N`, named and typed by `attachment-info`. */
function attachmentsOf(parts: FormPart[]) {
  let info: Record<string, { filename?: unknown; name?: unknown; type?: unknown; 'content-id'?: unknown }> =
    {};
  try {
    info = JSON.parse(field(parts, 'attachment-info')?.toString('utf8') ?? '{}') as typeof info;
  } catch {
    throw new InboundMailError('Invalid Parse post: attachment-info is not JSON');
  }
  const str = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
  return parts
    .filter((part) => part.filename !== undefined && /^attachment\d+$/.test(part.name))
    .map((part) => {
      const meta = info[part.name] ?? {};
      const filename = str(meta.filename) ?? str(meta.name) ?? part.filename;
      const contentType = str(meta.type) ?? part.contentType;
      const cid = str(meta['content-id']);
      return {
        content: part.value,
        ...(filename ? { filename } : {}),
        ...(contentType ? { contentType } : {}),
        ...(cid ? { cid: cid.replace(/^<|>$/g, '') } : {}),
      };
    });
}

/**
 * One Inbound Parse post → one raw mail. The raw form (`send_raw`: the field `email`) is the original bytes;
 * the default form is rebuilt from its fields, each decoded in the charset `charsets` names, with the
 * original `headers` kept. SendGrid's SPF/dkim results ride along as the provider verdict.
 */
export async function parseSendgridInbound(request: RawRequest): Promise<InboundMail[]> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data\b/i.test(contentType)) {
    throw new InboundMailError('Inbound Parse posts multipart/form-data (or send message/rfc822)', 415);
  }
  const parts = await readForm(request.body, contentType, 'latin1');
  const verdict = verdictOf(parts);
  const ip = field(parts, 'sender_ip')?.toString('latin1').trim();
  const clientIp = ip && isIP(ip) ? ip : undefined;
  const raw = field(parts, 'email');
  if (raw) return [{ raw, composed: false, verdict, ...(clientIp ? { clientIp } : {}) }];
  const charsets = charsetsOf(parts);
  const text = (name: string) => {
    const bytes = field(parts, name);
    return bytes ? decodeCharset(bytes, charsets[name]) : undefined;
  };
  const headers = text('headers');
  const from = text('from');
  if (headers === undefined && from === undefined) {
    throw new InboundMailError(
      'Invalid Parse post: no email field (raw form) and no headers or from (parsed form)',
    );
  }
  const mail = await composeInboundMail({
    headers: headerPairs(headers ?? ''),
    ...(from !== undefined ? { from } : {}),
    ...(text('to') !== undefined ? { to: text('to') } : {}),
    ...(text('cc') !== undefined ? { cc: text('cc') } : {}),
    ...(text('subject') !== undefined ? { subject: text('subject') } : {}),
    ...(text('text') !== undefined ? { text: text('text') } : {}),
    ...(text('html') !== undefined ? { html: text('html') } : {}),
    attachments: attachmentsOf(parts),
  });
  return [{ raw: mail, composed: true, verdict, ...(clientIp ? { clientIp } : {}) }];
}
