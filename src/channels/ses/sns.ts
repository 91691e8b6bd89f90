import { createVerify, X509Certificate } from 'node:crypto';
import { z } from 'zod';

/**
 * Amazon SNS HTTP(S) deliveries (providers.md §8.4 and §13): the message, its signature check (SignatureVersion
 * 1 = RSA-SHA1, 2 = RSA-SHA256) with the X.509 certificate fetched only over https from a trusted SNS host
 * (`*.pem`, cached), and the SubscribeURL rule. Written here rather than with `sns-validator`: that package fetches
 * certificates with its own `https.get` (no injectable fetch, CA or timeout) and signs UnsubscribeConfirmation with
 * the notification key set, against the AWS docs.
 */

/** Default trusted hosts (AWS_SNS_TRUSTED_HOSTS): `*` is one DNS label (or a port, for local fakes). */
export const DEFAULT_SNS_HOSTS = ['sns.*.amazonaws.com', 'sns.*.amazonaws.com.cn'];
/** Most certificates cached, how long, and the largest certificate read. */
const MAX_CERTS = 50;
const CERT_TTL_MS = 24 * 3_600_000;
const MAX_CERT_BYTES = 64 * 1024;
/** Time allowed for fetching a certificate or confirming a subscription. */
const FETCH_TIMEOUT_MS = 10_000;
/**
 * Oldest message accepted: SNS's longest retry policy spans an hour (§13); beyond that a validly signed
 * message is a replay.
 */
export const MAX_MESSAGE_AGE_MS = 2 * 3_600_000;

const text = (max: number) => z.string().min(1).max(max);
const snsMessageSchema = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: text(200),
  TopicArn: text(300),
  Subject: z.string().max(200).optional(),
  Message: z.string().max(50 * 1024 * 1024),
  Timestamp: z.iso.datetime({ offset: true }),
  SignatureVersion: z.enum(['1', '2']),
  Signature: text(4096),
  SigningCertURL: text(2048),
  SubscribeURL: text(2048).optional(),
  Token: text(2048).optional(),
  UnsubscribeURL: text(2048).optional(),
});

export type SnsMessage = z.infer<typeof snsMessageSchema>;

/**
 * The SNS message in a POST body (sent as `text/plain` JSON). Lambda-style spellings (`SigningCertUrl`,
 * `SubscribeUrl`, `UnsubscribeUrl`) are normalised. Undefined when the body is not an SNS message.
 */
export function parseSnsMessage(body: Uint8Array): SnsMessage | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
  for (const [lambda, standard] of [
    ['SigningCertUrl', 'SigningCertURL'],
    ['SubscribeUrl', 'SubscribeURL'],
    ['UnsubscribeUrl', 'UnsubscribeURL'],
  ] as const) {
    if (json[standard] === undefined && json[lambda] !== undefined) json[standard] = json[lambda];
  }
  const parsed = snsMessageSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The string SNS signs: `Key\nValue\n` for the type's keys in their fixed order (AWS docs' key sets). */
export function snsStringToSign(message: SnsMessage): string {
  const keys =
    message.Type === 'Notification'
      ? (['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const)
      : (['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const);
  return keys
    .filter((key) => message[key] !== undefined)
    .map((key) => `${key}\n${message[key]}\n`)
    .join('');
}

const escape = (part: string) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
/** A host pattern as a regular expression: `*` is one DNS label, or a port after `:`. */
const hostRegex = (pattern: string) =>
  new RegExp(`^${pattern.split('*').map(escape).join('[a-z0-9-]+')}$`, 'i');

/** The URL when it is https on a trusted SNS host (no credentials in it); else undefined. */
export function trustedSnsUrl(
  value: string,
  patterns: readonly string[] = DEFAULT_SNS_HOSTS,
): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username || url.password) return undefined;
  return patterns.some((pattern) => hostRegex(pattern).test(url.host)) ? url : undefined;
}

type CachedCert = { cert: X509Certificate; at: number };
const certs = new Map<string, CachedCert>();

/** Empties the certificate cache (tests). */
export function clearSnsCertCache(): void {
  certs.clear();
}

async function readBounded(response: Response, max: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > max) throw new Error('certificate too large');
  const body = Buffer.from(await response.arrayBuffer());
  if (body.byteLength > max) throw new Error('certificate too large');
  return body;
}

/** The signing certificate (fetched over https from a trusted host, `.pem` path, cached a day). */
async function signingCert(url: URL, deps: SnsDeps): Promise<X509Certificate> {
  const key = url.toString();
  const cached = certs.get(key);
  if (cached && deps.now() - cached.at < CERT_TTL_MS) return cached.cert;
  const response = await deps.fetch(url, {
    redirect: 'error',
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`certificate fetch answered ${response.status}`);
  const cert = new X509Certificate(await readBounded(response, MAX_CERT_BYTES));
  certs.delete(key);
  certs.set(key, { cert, at: deps.now() });
  if (certs.size > MAX_CERTS) certs.delete(certs.keys().next().value as string);
  return cert;
}

export type SnsDeps = { fetch: typeof fetch; now(): number; trustedHosts?: readonly string[] };
export type SnsVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Verifies an SNS message's signature: the certificate URL must be https on a trusted host with a `.pem` path
 * (checked before anything is fetched), the certificate valid now, the signature RSA-SHA1 (version 1) or
 * RSA-SHA256 (version 2) over the type's string to sign, and the message no older than MAX_MESSAGE_AGE_MS.
 * Fails closed on any error.
 */
export async function verifySnsMessage(message: SnsMessage, deps: SnsDeps): Promise<SnsVerdict> {
  const certUrl = trustedSnsUrl(message.SigningCertURL, deps.trustedHosts);
  if (!certUrl || !certUrl.pathname.endsWith('.pem')) {
    return { ok: false, reason: 'SigningCertURL is not an https .pem URL on a trusted SNS host' };
  }
  const age = deps.now() - Date.parse(message.Timestamp);
  if (!(age < MAX_MESSAGE_AGE_MS && age > -5 * 60_000))
    return { ok: false, reason: 'Timestamp is too old or in the future' };
  let cert: X509Certificate;
  try {
    cert = await signingCert(certUrl, deps);
  } catch {
    return { ok: false, reason: 'the signing certificate could not be fetched' };
  }
  const now = deps.now();
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
    return { ok: false, reason: 'the signing certificate is not valid now' };
  }
  const verifier = createVerify(message.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
  verifier.update(snsStringToSign(message), 'utf8');
  let valid: boolean;
  try {
    valid = verifier.verify(cert.publicKey, Buffer.from(message.Signature, 'base64'));
  } catch {
    valid = false;
  }
  return valid ? { ok: true } : { ok: false, reason: 'the SNS signature does not verify' };
}

/**
 * Confirms a subscription by visiting its SubscribeURL (https on a trusted SNS host only; an
 * UnsubscribeConfirmation is never visited). True when SNS answered 2xx.
 */
export async function confirmSubscription(message: SnsMessage, deps: SnsDeps): Promise<boolean> {
  if (message.Type !== 'SubscriptionConfirmation' || !message.SubscribeURL) return false;
  const url = trustedSnsUrl(message.SubscribeURL, deps.trustedHosts);
  if (!url) return false;
  const response = await deps.fetch(url, {
    redirect: 'error',
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  await response.arrayBuffer().catch(() => undefined);
  return response.ok;
}
