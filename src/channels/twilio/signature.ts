import { createHmac, createSecretKey } from 'node:crypto';
import querystring from 'node:querystring';
import { secretsEqual } from '../../auth/constant-time.ts';

/**
 * Twilio's request signature (providers.md §5.4, §13): Base64(HMAC(key, URL + each POST parameter's name and
 * value)), names sorted in UTF-16 code-unit order, a repeated name's distinct values sorted, no separators and
 * no encoding. The key is the auth token (HMAC-SHA1) or a webhook shared key (HMAC-SHA256).
 */

/** POST parameters in the order received; names may repeat. */
export type FormParams = readonly (readonly [string, string])[];

export type SignatureAlgorithm = 'sha1' | 'sha256';

/** The exact string Twilio signs for `url` and `params`. */
export function signedString(url: string, params: FormParams): string {
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of params) {
    const values = byName.get(name) ?? new Set<string>();
    values.add(value);
    byName.set(name, values);
  }
  let out = url;
  for (const name of [...byName.keys()].sort()) {
    for (const value of [...(byName.get(name) as Set<string>)].sort()) out += name + value;
  }
  return out;
}

/** The signature Twilio sends in X-Twilio-Signature for this URL and these parameters. */
export function twilioSignature(
  key: string,
  url: string,
  params: FormParams,
  algorithm: SignatureAlgorithm = 'sha1',
): string {
  return createHmac(algorithm, createSecretKey(Buffer.from(key, 'utf8')))
    .update(signedString(url, params), 'utf8')
    .digest('base64');
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'https:': '443', 'http:': '80' };

/** The query string re-encoded the way Node's legacy `querystring` module writes it (one of Twilio's forms). */
function withLegacyQuery(url: URL): string | undefined {
  if (!url.search) return undefined;
  const legacy = new URL(url.toString());
  legacy.search = '';
  return `${legacy.toString()}?${querystring.stringify(querystring.parse(url.search.slice(1)))}`;
}

/**
 * The forms of one URL Twilio may have signed (providers.md §5.4): without the port, with the scheme's default
 * port, and each again with the query string in legacy encoding. Twilio is inconsistent about them.
 */
export function urlVariants(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const withoutPort = new URL(parsed.toString());
  withoutPort.port = '';
  // Assigning the default port is a no-op in WHATWG URL, so it is spliced into the text instead.
  const withPort = parsed.port
    ? parsed.toString()
    : parsed.toString().replace(parsed.host, `${parsed.host}:${DEFAULT_PORTS[parsed.protocol] ?? ''}`);
  const forms = [url, withoutPort.toString(), withPort];
  for (const form of [withoutPort, new URL(withPort)]) {
    const legacy = withLegacyQuery(form);
    if (legacy) forms.push(legacy);
  }
  return [...new Set(forms)];
}

/**
 * True when `given` is the signature of one of `urls` with one of `keys`; every candidate is computed and
 * compared in constant time, so the answer's timing says nothing about which one (if any) matched.
 */
export function signatureMatches(
  given: string,
  urls: readonly string[],
  params: FormParams,
  keys: readonly string[],
  algorithm: SignatureAlgorithm,
): boolean {
  let matched = false;
  for (const key of keys) {
    for (const url of urls) {
      if (secretsEqual(given, twilioSignature(key, url, params, algorithm))) matched = true;
    }
  }
  return matched;
}
