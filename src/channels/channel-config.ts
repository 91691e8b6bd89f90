import { z } from 'zod';
import type { StoredChannel, StoredChannels } from '../db/schema-channels.ts';
import { badRequest, validationError } from '../http/errors.ts';
import type { SealContext, Vault } from '../vault/vault.ts';
import {
  CONFIGURED,
  deletePath,
  getPath,
  isConfiguredMarker,
  mergeSettings,
  patchOf,
  presenceOf,
  setPath,
} from './config-schema.ts';
import type { AdapterRegistry } from './registry.ts';
import { CHANNELS, type ChannelName, type ProviderAdapter } from './types.ts';
import { websiteTheme } from './website/index.ts';

/** An agent's channel configuration as stored: settings per channel, and which secrets exist (sealed). */
export type ChannelState = {
  channels: StoredChannels;
  /** Sealed values keyed by `<channel>/<field>`. */
  secrets: Map<string, string>;
};

/** What a PUT changes: the new settings, and secret rows to write (`sealed`) or delete (`null`). */
export type ChannelPlan = {
  channels: StoredChannels;
  writes: { channel: ChannelName; field: string; sealed: string | null }[];
};

export type ChannelPatch = Partial<Record<ChannelName, Record<string, unknown>>>;

export const secretKey = (channel: string, field: string) => `${channel}/${field}`;

/** The associated data binding a channel secret to its agent, channel and field. */
export const channelSealContext = (agentId: string, channel: string, field: string): SealContext => [
  'channel_secret',
  agentId,
  `${channel}.${field}`,
];

/** Channels offered by one provider only carry no `provider` field in the API (telegram, website). */
export const hasProviderChoice = (registry: AdapterRegistry, channel: ChannelName) =>
  registry.providers(channel).length > 1;

const patchCache = new WeakMap<ProviderAdapter, { patch: z.ZodObject; presence: z.ZodObject }>();

/** The derived validators of one adapter (see config-schema.ts), built once. */
export function adapterSchemas(adapter: ProviderAdapter) {
  let schemas = patchCache.get(adapter);
  if (!schemas) {
    const secrets = new Set(adapter.secretFields);
    const schema = adapter.configSchema as z.ZodObject;
    schemas = { patch: patchOf(schema, secrets), presence: presenceOf(schema, secrets) };
    patchCache.set(adapter, schemas);
  }
  return schemas;
}

/** Parses `value` as `{[channel]: value}` so errors name `channel.field`; throws the usual 400. */
function parseAt(channel: ChannelName, schema: z.ZodType, value: unknown, missingIsRequired = false) {
  const result = z.object({ [channel]: schema }).safeParse({ [channel]: value });
  if (result.success) return (result.data as Record<string, unknown>)[channel];
  const issues = result.error.issues.map((issue) =>
    missingIsRequired && /received undefined$/.test(issue.message)
      ? { ...issue, message: 'is required' }
      : issue,
  );
  throw validationError(new z.ZodError(issues), 'json');
}

/**
 * Applies a PUT body to the stored state: per channel, fields merge (nested objects field by field), `null`
 * clears, omitted or `{configured:true}` secrets keep. Switching provider starts that channel afresh. An enabled
 * channel must be complete for its provider. New secrets are sealed here, before anything is written.
 */
export function planChannelUpdate(
  registry: AdapterRegistry,
  vault: Vault,
  agentId: string,
  state: ChannelState,
  body: ChannelPatch,
): ChannelPlan {
  const channels: StoredChannels = { ...state.channels };
  const writes: ChannelPlan['writes'] = [];
  for (const channel of CHANNELS) {
    const block = body[channel];
    if (block === undefined) continue;
    const { enabled: enabledInput, provider: providerInput, ...fields } = block;
    const stored = state.channels[channel];
    const single = registry.providers(channel);
    const provider =
      (single.length === 1 ? single[0]?.provider : undefined) ?? providerInput ?? stored?.provider;
    const enabled = (enabledInput as boolean | undefined) ?? stored?.enabled ?? channel === 'website';
    const switching = stored?.provider !== undefined && stored.provider !== provider;
    const adapter = typeof provider === 'string' ? registry.get(channel, provider) : undefined;
    if (!adapter) {
      if (enabled || Object.keys(fields).length) {
        const names = single.map((a) => a.provider).join(', ');
        throw badRequest(`Invalid body: ${channel}.provider: is required (one of ${names})`);
      }
      channels[channel] = { enabled, settings: {} };
      continue;
    }
    const { patch, presence } = adapterSchemas(adapter);
    parseAt(channel, patch, fields);
    const secretFields = new Set(adapter.secretFields);
    const settings = mergeSettings(switching ? {} : (stored?.settings ?? {}), fields, secretFields);
    const present = new Set<string>();
    for (const [key] of state.secrets) {
      const [secretChannel, field] = key.split('/') as [string, string];
      if (secretChannel !== channel) continue;
      if (switching || !secretFields.has(field)) writes.push({ channel, field, sealed: null });
      else present.add(field);
    }
    const seal = (field: string, plaintext: string) => {
      writes.push({
        channel,
        field,
        sealed: vault.seal(plaintext, channelSealContext(agentId, channel, field)),
      });
      present.add(field);
    };
    for (const field of adapter.secretFields) {
      // `null` on a parent object (`imap_config: null`) clears the secrets inside it too.
      const value = parentCleared(fields, field) ? null : getPath(fields, field);
      if (value === undefined || isConfiguredMarker(value)) continue;
      if (value === null) {
        if (present.delete(field)) writes.push({ channel, field, sealed: null });
      } else seal(field, value as string);
    }
    for (const [field, generate] of Object.entries(adapter.generatedSecrets ?? {})) {
      if (!present.has(field)) seal(field, generate());
    }
    let next: Record<string, unknown> = settings;
    if (enabled) {
      const doc = structuredClone(settings);
      for (const field of present) setPath(doc, field, true);
      next = parseAt(channel, presence, doc, true) as Record<string, unknown>;
      for (const field of adapter.secretFields) deletePath(next, field);
    }
    channels[channel] = { enabled, provider: adapter.provider, settings: next };
  }
  return { channels, writes: dedupeWrites(writes) };
}

/** True when the patch sets an object above a dotted secret path to null. */
function parentCleared(fields: Record<string, unknown>, field: string): boolean {
  const parts = field.split('.');
  return parts.slice(0, -1).some((_, i) => getPath(fields, parts.slice(0, i + 1).join('.')) === null);
}

/** Keeps the last write per field (a clear followed by a new value is a replace). */
function dedupeWrites(writes: ChannelPlan['writes']): ChannelPlan['writes'] {
  const last = new Map(writes.map((w) => [secretKey(w.channel, w.field), w]));
  return [...last.values()];
}

/** Whether a channel is on: website is on unless turned off; the others once configured and enabled. */
export function isEnabled(channel: ChannelName, stored: StoredChannel | undefined): boolean {
  return stored?.enabled ?? channel === 'website';
}

/**
 * One channel as GET shows it: enabled, provider (where there is a choice), non-secret settings, and each stored
 * secret as `{configured: true}`. Never a secret value, never a mask that could be sent back as one.
 */
export function channelView(
  registry: AdapterRegistry,
  channel: ChannelName,
  state: ChannelState,
): Record<string, unknown> {
  const stored = state.channels[channel];
  const view: Record<string, unknown> = { enabled: isEnabled(channel, stored) };
  if (stored?.provider && hasProviderChoice(registry, channel)) view.provider = stored.provider;
  Object.assign(view, structuredClone(stored?.settings ?? {}));
  for (const key of state.secrets.keys()) {
    const [secretChannel, field] = key.split('/') as [string, string];
    if (secretChannel === channel) setPath(view, field, { ...CONFIGURED });
  }
  if (channel === 'website') view.theme = websiteTheme.parse(view.theme ?? {});
  return view;
}
