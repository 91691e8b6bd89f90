import { z } from 'zod';
import type { SqlRunner } from '../db/client.ts';

/** Most handoff keywords per agent, and the longest one. */
export const HANDOFF_KEYWORDS_MAX = 50;
export const HANDOFF_KEYWORD_MAX_CHARS = 100;

/**
 * The agent's handoff settings (the `handoff` key of the channel configuration's global part). `enabled` offers
 * the LLM the `handoff_to_human` tool and turns the keywords on; an operator can always take a conversation over.
 */
export const HandoffSettingsSchema = z
  .object({
    enabled: z.boolean().default(false),
    keywords: z
      .array(
        z
          .string()
          .trim()
          .min(1, 'must not be empty')
          .max(HANDOFF_KEYWORD_MAX_CHARS, `must be at most ${HANDOFF_KEYWORD_MAX_CHARS} characters`),
      )
      .max(HANDOFF_KEYWORDS_MAX, `at most ${HANDOFF_KEYWORDS_MAX} keywords`)
      .default([]),
  })
  .strict();

export type HandoffSettings = z.infer<typeof HandoffSettingsSchema>;

/** The PUT shape: any field may be omitted (kept); `handoff: null` resets to the defaults. */
export const HandoffSettingsPatch = z
  .object({
    enabled: HandoffSettingsSchema.shape.enabled.removeDefault().optional(),
    keywords: HandoffSettingsSchema.shape.keywords.removeDefault().optional(),
  })
  .strict()
  .nullable();

export type HandoffSettingsPatchInput = z.infer<typeof HandoffSettingsPatch>;

/** What a stored value means (anything unreadable counts as the defaults). */
export function handoffSettingsOf(
  globalSettings: Record<string, unknown> | null | undefined,
): HandoffSettings {
  const parsed = HandoffSettingsSchema.safeParse(globalSettings?.handoff ?? {});
  return parsed.success ? parsed.data : HandoffSettingsSchema.parse({});
}

/** The agent's handoff settings, read in the caller's transaction or connection. */
export async function loadHandoffSettings(query: SqlRunner, agentId: string): Promise<HandoffSettings> {
  const rows = await query<{ settings: Record<string, unknown> | null }>(
    'select settings from channel_configs where agent_id = $1',
    [agentId],
  );
  return handoffSettingsOf(rows[0]?.settings);
}

/** Applies a PUT's `handoff` block to the stored global settings (the config row must exist). */
export async function writeHandoffSettings(
  query: SqlRunner,
  agentId: string,
  patch: HandoffSettingsPatchInput,
): Promise<HandoffSettings> {
  const rows = await query<{ settings: Record<string, unknown> | null }>(
    'select settings from channel_configs where agent_id = $1 for update',
    [agentId],
  );
  const current = handoffSettingsOf(rows[0]?.settings);
  const next = patch === null ? HandoffSettingsSchema.parse({}) : { ...current, ...definedOnly(patch) };
  await query(
    `update channel_configs set settings = jsonb_set(coalesce(settings, '{}'::jsonb), '{handoff}', $2::jsonb),
            updated_at = now()
     where agent_id = $1`,
    [agentId, JSON.stringify(next)],
  );
  return next;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
