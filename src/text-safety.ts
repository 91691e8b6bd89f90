/**
 * Strings PostgreSQL cannot store: a NUL character (text and jsonb refuse it) or an unpaired UTF-16 surrogate
 * (not valid Unicode; jsonb refuses its escape). API input carrying one is refused; provider data is repaired.
 */

/** True when PostgreSQL can store this string as it is. */
export const isStorable = (value: string): boolean => !value.includes('\u0000') && value.isWellFormed();

/** The string with every NUL and unpaired surrogate replaced by U+FFFD. */
export const toStorable = (value: string): string =>
  isStorable(value) ? value : value.toWellFormed().replaceAll('\u0000', '\uFFFD');

type Frame = { value: unknown; key: string; parent: Frame | undefined };

function pathOf(frame: Frame): string {
  const keys: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent) keys.push(toStorable(f.key));
  const path = keys.reverse().join('.');
  return path.length > 200 ? `${path.slice(0, 200)}…` : path;
}

/**
 * The dotted path of the first key or string in a parsed JSON value that PostgreSQL cannot store ('' for the
 * value itself), or undefined. Iterative, so any nesting the body limit lets through is walked safely.
 */
export function findUnstorable(root: unknown): string | undefined {
  const stack: Frame[] = [{ value: root, key: '', parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const { value } = frame;
    if (typeof value === 'string') {
      if (!isStorable(value)) return pathOf(frame);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        const next = { value: child, key, parent: frame };
        if (!isStorable(key)) return pathOf(next);
        stack.push(next);
      }
    }
  }
  return undefined;
}

/**
 * A JSON-like value with every key and string made storable (provider data: repaired, not refused): the value
 * itself when nothing needs repair (the usual case, no copy), else a repaired copy.
 */
export function scrubUnstorable<T>(value: T): T {
  return findUnstorable(value) === undefined ? value : scrubCopy(value, 0);
}

function scrubCopy<T>(value: T, depth: number): T {
  if (typeof value === 'string') return toStorable(value) as T;
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) return value.map((item) => scrubCopy(item, depth + 1)) as T;
  // fromEntries defines own properties, so a `__proto__` key stays a plain key.
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [toStorable(key), scrubCopy(child, depth + 1)]),
  ) as T;
}

/** Cuts text longer than `max` characters, ending it with a visible marker that says how much was left out. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max;
  // Never split a surrogate pair.
  if (/[\uD800-\uDBFF]/.test(text.charAt(cut - 1))) cut -= 1;
  return `${text.slice(0, cut)}\n[… truncated: ${text.length - cut} more characters not shown]`;
}
