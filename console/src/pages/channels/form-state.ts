import type { ChannelKey, FieldDef, ProviderDef } from './providers.ts';
import { CHANNEL_PROVIDERS } from './providers.ts';

/** One channel's block as GET …/channels shows it: settings, and `{configured: true}` where a secret is stored. */
export type ChannelView = Record<string, unknown> & { enabled: boolean; provider?: string };

/** A secret being typed: `replacing` once the operator asked to replace a configured one. */
export type SecretDraft = { replacing: boolean; value: string };

/** The form of one channel: chosen provider, enabled, field values by dotted path. */
export type Draft = {
  provider: string;
  enabled: boolean;
  values: Record<string, string | boolean>;
  secrets: Record<string, SecretDraft>;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let current = target;
  for (const key of keys.slice(0, -1)) {
    if (!isObject(current[key])) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys[keys.length - 1] as string] = value;
}

/** What GET shows for a stored secret. */
export const isConfigured = (value: unknown) => isObject(value) && value.configured === true;

const settingKeys = (view: ChannelView | undefined) =>
  Object.keys(view ?? {}).filter((key) => key !== 'enabled' && key !== 'provider');

/** The provider whose settings are stored, if any (single-provider channels have no `provider` in the API). */
export function storedProvider(channel: ChannelKey, view: ChannelView | undefined): string | undefined {
  if (view?.provider) return view.provider;
  const only = CHANNEL_PROVIDERS[channel];
  return only.length === 1 && settingKeys(view).length ? only[0]?.id : undefined;
}

/** Whether anything is stored for the channel (the website is always there). */
export const isChannelConfigured = (channel: ChannelKey, view: ChannelView | undefined) =>
  channel === 'website' || storedProvider(channel, view) !== undefined;

export const providerDef = (channel: ChannelKey, id: string): ProviderDef =>
  CHANNEL_PROVIDERS[channel].find((p) => p.id === id) ?? (CHANNEL_PROVIDERS[channel][0] as ProviderDef);

/** A stored value as the form shows it. */
function shown(field: FieldDef, stored: unknown): string | boolean {
  if (field.kind === 'checkbox') return typeof stored === 'boolean' ? stored : Boolean(field.initial);
  if (stored === undefined || stored === null) return typeof field.initial === 'string' ? field.initial : '';
  if (Array.isArray(stored)) return stored.map(String).join('\n');
  if (isObject(stored)) {
    return Object.entries(stored)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join('\n');
  }
  return String(stored);
}

/** The form for `provider`, filled from what is stored when it is that provider's. */
export function draftFor(channel: ChannelKey, view: ChannelView | undefined, provider: string): Draft {
  const def = providerDef(channel, provider);
  const same = storedProvider(channel, view) === def.id || channel === 'website';
  const values: Draft['values'] = {};
  const secrets: Draft['secrets'] = {};
  for (const field of def.fields) {
    const stored = same ? getPath(view, field.path) : undefined;
    if (field.kind === 'secret') secrets[field.path] = { replacing: false, value: '' };
    else values[field.path] = shown(field, stored);
  }
  // A channel being set up for the first time is meant to be on; a stored one keeps its state.
  const enabled = isChannelConfigured(channel, view) ? Boolean(view?.enabled) : true;
  return { provider: def.id, enabled, values, secrets };
}

/** Whether a secret is stored for this provider (shown as "configured", never its value). */
export function secretConfigured(
  channel: ChannelKey,
  view: ChannelView | undefined,
  draft: Draft,
  path: string,
): boolean {
  const same = storedProvider(channel, view) === draft.provider || channel === 'website';
  return same && isConfigured(getPath(view, path));
}

const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);

/** A form value as the API takes it; undefined when empty. */
function parsed(field: FieldDef, value: string | boolean): unknown {
  if (field.kind === 'checkbox' || typeof value === 'boolean') return value;
  const text = value.trim();
  if (!text) return undefined;
  if (field.kind === 'number') return /^-?\d+$/.test(text) ? Number(text) : text;
  if (field.kind === 'lines') return lines(text);
  if (field.kind === 'pairs') {
    return Object.fromEntries(
      lines(text).map((line) => {
        const at = line.indexOf('=');
        return at < 0 ? [line, ''] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
      }),
    );
  }
  return text;
}

/**
 * The PUT block for one channel. Empty fields that were stored become `null` (cleared); secrets are sent only when
 * typed (omitted = kept); an optional group (imap_config) is sent only when one of its fields is filled in.
 */
export function buildBlock(channel: ChannelKey, view: ChannelView | undefined, draft: Draft) {
  const def = providerDef(channel, draft.provider);
  const same = storedProvider(channel, view) === def.id || channel === 'website';
  const block: Record<string, unknown> = { enabled: draft.enabled };
  if (CHANNEL_PROVIDERS[channel].length > 1) block.provider = def.id;
  const groupUsed = (group: string) =>
    def.fields.some((f) => {
      if (f.group !== group || f.kind === 'checkbox') return false;
      if (f.kind === 'secret') return Boolean(draft.secrets[f.path]?.value.trim());
      return parsed(f, draft.values[f.path] ?? '') !== undefined;
    });
  const groupStored = (group: string) => same && getPath(view, group) !== undefined;
  for (const group of new Set(def.fields.map((f) => f.group).filter((g): g is string => Boolean(g)))) {
    if (!groupUsed(group) && groupStored(group)) block[group] = null;
  }
  for (const field of def.fields) {
    if (field.group && !groupUsed(field.group)) continue;
    if (field.kind === 'secret') {
      const typed = draft.secrets[field.path]?.value.trim();
      if (typed) setPath(block, field.path, typed);
      continue;
    }
    const value = parsed(field, draft.values[field.path] ?? '');
    if (value !== undefined) setPath(block, field.path, value);
    else if (same && getPath(view, field.path) !== undefined) setPath(block, field.path, null);
  }
  return block;
}

/** A 400's field errors keyed by form path (`telegram.bot_token` → `bot_token`), plus what names no field. */
export function fieldErrors(
  channel: ChannelKey,
  body: unknown,
  message: string,
): { byField: Record<string, string>; other: string | undefined } {
  const byField: Record<string, string> = {};
  const raw: { field: string; message: string }[] = [];
  const details = isObject(body) ? body.details : undefined;
  if (Array.isArray(details)) {
    for (const item of details) {
      if (isObject(item) && typeof item.field === 'string' && typeof item.message === 'string') {
        raw.push({ field: item.field, message: item.message });
      }
    }
  } else {
    const match = /^Invalid body: ([\w.]+): (.*)$/.exec(message);
    if (match) raw.push({ field: match[1] as string, message: match[2] as string });
  }
  const unplaced: string[] = [];
  for (const { field, message: text } of raw) {
    const path = field.startsWith(`${channel}.`) ? field.slice(channel.length + 1) : field;
    if (path && path !== field) byField[path] ??= text;
    else unplaced.push(`${field}: ${text}`);
  }
  const other = raw.length === 0 ? message : unplaced.length ? unplaced.join('; ') : undefined;
  return { byField, other };
}
