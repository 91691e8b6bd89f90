/** Removes credentials from anything about to be logged. */

export const REDACTED = '[REDACTED]';
const MAX_DEPTH = 8;
const MAX_KEYS = 200;

/** Keys whose values are always credentials (matched on the key's ending: `bot_token`, `apiKey`, not `token_usage`). */
const SECRET_KEY =
  /(pass(word)?|passwd|secret|token|authorization|api[_-]?key|access[_-]?key|credentials?|cookie|private[_-]?key|signature)$/i;

const TEXT_PATTERNS: Array<[RegExp, string]> = [
  // Telegram bot tokens inside URLs (https://api.telegram.org/bot<token>/method) and alone.
  [/bot\d{5,}:[A-Za-z0-9_-]{20,}/g, `bot${REDACTED}`],
  [/\b\d{5,}:[A-Za-z0-9_-]{30,}\b/g, REDACTED],
  // Bearer / Basic credentials.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  // user:password@ in URLs.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)[^@\s/]+@/gi, `$1${REDACTED}@`],
  // Secret-looking query parameters.
  [
    /([?&](?:token|access_token|api_key|apikey|key|secret|password|signature|sig)=)[^&#\s]+/gi,
    `$1${REDACTED}`,
  ],
  // Switchboard's own API tokens.
  [/\bsb_(?:pat|org)_[A-Za-z0-9]+/g, REDACTED],
];

/**
 * A cheap test that every match of every TEXT_PATTERN passes (each pattern needs one of these: a digit before
 * `:`, Bearer/Basic, `://`, `=`, `sb_`). Text that fails it cannot hold a credential the patterns would find.
 */
export const MAY_HOLD_CREDENTIAL = /\d:|bearer|basic|:\/\/|=|sb_/i;

/** The patterns themselves, for tests of the pre-test above. */
export const TEXT_PATTERN_LIST: readonly RegExp[] = TEXT_PATTERNS.map(([pattern]) => pattern);

/** Redacts credential patterns inside free text (messages, URLs, error strings). */
export function redactText(text: string): string {
  if (!MAY_HOLD_CREDENTIAL.test(text)) return text;
  let out = text;
  for (const [pattern, replacement] of TEXT_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * True for a plain object of at most MAX_KEYS primitive fields, none secret-named and no string holding a
 * credential: its redacted copy would equal it field for field, so it can be logged as it is.
 */
function isCleanFlatObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  let count = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false;
    if (++count > MAX_KEYS || SECRET_KEY.test(key)) return false;
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'string') {
      if (MAY_HOLD_CREDENTIAL.test(v)) return false;
    } else if (v !== null && typeof v === 'object') return false;
    else if (typeof v === 'function' || typeof v === 'symbol') return false;
  }
  return true;
}

/** Deep-copies a value, replacing secret-named fields and credential patterns; bounded in depth and width. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (Array.isArray(value)) return value.slice(0, MAX_KEYS).map((v) => redactValue(v, depth + 1));
  if (value instanceof Date) return value;
  if (value instanceof Error) return redactValue(errorFields(value), depth);
  // The common request-log line: nothing to redact, so no copy.
  if (isCleanFlatObject(value)) return value;
  const out: Record<string, unknown> = {};
  let count = 0;
  for (const [key, v] of Object.entries(value)) {
    if (count++ >= MAX_KEYS) break;
    out[key] =
      SECRET_KEY.test(key) && v !== null && v !== undefined && v !== ''
        ? REDACTED
        : redactValue(v, depth + 1);
  }
  return out;
}

/** An Error's useful fields (message and stack are not enumerable, so a plain copy would lose them). */
function errorFields(err: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack };
  const { code, cause } = err as Error & { code?: unknown; cause?: unknown };
  if (code !== undefined) fields.code = code;
  if (cause !== undefined) fields.cause = cause;
  return fields;
}
