import { type ReengagementTemplate, reengagementTemplate } from './settings.ts';

export type { ReengagementTemplate };

/** WhatsApp's customer service window: free-form messages only within 24 h of the contact's last message. */
export const WINDOW_MS = 24 * 3_600_000;

/** The channel whose replies the window governs (every WhatsApp provider). */
export const WINDOW_CHANNEL = 'whatsapp';

/** Word used for `{{contact_name}}` when the contact has no display name. */
export const NEUTRAL_NAME = 'there';

/** The account's re-engagement template, or null when none (or an unusable one) is configured. */
export function reengagementTemplateOf(settings: Record<string, unknown>): ReengagementTemplate | null {
  const parsed = reengagementTemplate.safeParse(settings.reengagement_template);
  return parsed.success ? parsed.data : null;
}

/** True while free-form replies may go out; an unknown last inbound time counts as open (the provider decides). */
export function windowOpen(lastInboundAt: Date | null, now: Date): boolean {
  return lastInboundAt === null || now.getTime() - new Date(lastInboundAt).getTime() <= WINDOW_MS;
}

/** The template with `{{contact_name}}` replaced in each parameter. */
export function fillTemplate(
  template: ReengagementTemplate,
  contactName: string | null | undefined,
): { name: string; language: string; parameters: string[] } {
  const name = contactName?.trim() || NEUTRAL_NAME;
  return {
    name: template.name,
    language: template.language,
    parameters: (template.parameters ?? []).map((p) => p.replaceAll('{{contact_name}}', name)),
  };
}

/** The text stored for a template message (what the conversation and the agent's history show). */
export function templateText(template: { name: string; parameters: string[] }): string {
  return template.parameters.length > 0
    ? `[template ${template.name}] ${template.parameters.join(' | ')}`
    : `[template ${template.name}]`;
}

/** Why a reply failed with `outside_window` and what to configure. */
export const OUTSIDE_WINDOW_MESSAGE =
  "More than 24 hours since the contact last wrote: WhatsApp only allows template messages. Set the channel's " +
  'reengagement_template ({name, language, parameters}) to re-open the conversation automatically.';
