import { z } from 'zod';

/**
 * Derives the two validators a channel PUT needs from one provider `configSchema`:
 * - `patchOf`: every field optional, `null` to clear, nested objects patched field by field; a secret accepts a new
 *   value, `null` (clear) or `{configured: true}` (keep, which is what GET shows), so GET-then-PUT never erases one.
 * - `presenceOf`: the full schema with each secret replaced by `true` (present), checked after merging with what is
 *   stored, without decrypting anything.
 */

/** What GET shows for a stored secret, and what PUT accepts as "keep it". */
export const CONFIGURED = { configured: true } as const;

export function isConfiguredMarker(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    (value as { configured?: unknown }).configured === true &&
    Object.keys(value).length === 1
  );
}

type Wrapped = z.ZodType & { unwrap(): z.ZodType };

function isWrapper(schema: z.ZodType): schema is Wrapped {
  return schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodNullable;
}

/** The schema under optional/default/nullable wrappers, and whether the field may be absent. */
function unwrap(schema: z.ZodType): { base: z.ZodType; optional: boolean } {
  let base = schema;
  let optional = false;
  while (isWrapper(base)) {
    if (!(base instanceof z.ZodNullable)) optional = true;
    base = base.unwrap();
  }
  return { base, optional };
}

const join = (prefix: string, key: string) => (prefix ? `${prefix}.${key}` : key);

function secretPatch(leaf: z.ZodType, path: string): z.ZodType {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      if (value === null || value === undefined || isConfiguredMarker(value)) return;
      const result = leaf.safeParse(value);
      if (!result.success) {
        for (const issue of result.error.issues) {
          ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
        }
      }
    })
    .describe(`Secret (${path}): a new value, null to clear, or omitted / {"configured": true} to keep`);
}

export function patchOf(schema: z.ZodObject, secrets: ReadonlySet<string>, prefix = ''): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const path = join(prefix, key);
    const { base } = unwrap(field);
    if (secrets.has(path)) shape[key] = secretPatch(base, path).optional();
    else if (base instanceof z.ZodObject) shape[key] = patchOf(base, secrets, path).nullable().optional();
    else shape[key] = base.nullable().optional();
  }
  return z.object(shape).strict();
}

export function presenceOf(schema: z.ZodObject, secrets: ReadonlySet<string>, prefix = ''): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const path = join(prefix, key);
    const { base, optional } = unwrap(field);
    if (secrets.has(path)) {
      const present = z.literal(true, { error: 'is required' });
      shape[key] = optional ? present.optional() : present;
    } else if (base instanceof z.ZodObject) {
      const inner = presenceOf(base, secrets, path);
      shape[key] = optional ? inner.optional() : inner;
    } else {
      shape[key] = field;
    }
  }
  return z.object(shape).strict();
}

/**
 * Merges a patch into stored settings: objects field by field, `null` deletes, anything else replaces. Secret paths
 * are skipped (the caller handles them).
 */
export function mergeSettings(
  stored: Record<string, unknown>,
  patch: Record<string, unknown>,
  secrets: ReadonlySet<string>,
  prefix = '',
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...stored };
  for (const [key, value] of Object.entries(patch)) {
    const path = join(prefix, key);
    if (value === undefined || secrets.has(path)) continue;
    if (value === null) delete out[key];
    else if (isPlainObject(value)) {
      const current = isPlainObject(out[key]) ? (out[key] as Record<string, unknown>) : {};
      out[key] = mergeSettings(current, value, secrets, path);
    } else out[key] = value;
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a dotted path (`credentials.auth_token`) out of a nested object. */
export function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Writes a dotted path into a nested object, creating intermediate objects. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let current = target;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(current[key])) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys[keys.length - 1] as string] = value;
}

/** Removes a dotted path, and intermediate objects it leaves empty. */
export function deletePath(target: Record<string, unknown>, path: string): void {
  const [head, ...rest] = path.split('.');
  if (head === undefined) return;
  if (!rest.length) {
    delete target[head];
    return;
  }
  const child = target[head];
  if (!isPlainObject(child)) return;
  deletePath(child, rest.join('.'));
  if (!Object.keys(child).length) delete target[head];
}

/** Merges two patch objects key by key (nested objects merged too): one schema accepting either provider's fields. */
export function mergePatches(a: z.ZodObject, b: z.ZodObject): z.ZodObject {
  const shape: Record<string, z.ZodType> = { ...(a.shape as Record<string, z.ZodType>) };
  for (const [key, field] of Object.entries(b.shape as Record<string, z.ZodType>)) {
    const existing = shape[key];
    const left = existing && unwrap(existing).base;
    const right = unwrap(field).base;
    shape[key] =
      left instanceof z.ZodObject && right instanceof z.ZodObject
        ? mergePatches(left, right).nullable().optional()
        : (existing ?? field);
  }
  return z.object(shape).strict();
}
