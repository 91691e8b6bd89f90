import { z } from 'zod';

/**
 * The re-engagement template a WhatsApp channel sends when the 24-hour window is closed (any WhatsApp
 * provider). Parameters are the template's body parameters in order; `{{contact_name}}` is replaced by the
 * contact's name when sent.
 */
export const reengagementTemplate = z
  .object({
    name: z
      .string()
      .regex(
        /^([a-z0-9_]{1,512}|HX[0-9a-fA-F]{32})$/,
        "must be the template's name (lowercase letters, digits and _) or, on Twilio, a Content SID (HX…)",
      ),
    language: z
      .string()
      .regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'must be a template language code such as en or en_US'),
    parameters: z.array(z.string().min(1).max(1024)).max(20).optional(),
  })
  .strict();

export type ReengagementTemplate = z.infer<typeof reengagementTemplate>;

/** Settings every WhatsApp provider's block accepts next to its own. */
export const whatsappSettings = {
  reengagement_template: reengagementTemplate.optional(),
  /** Minutes the agent stays quiet in a conversation after a human answered from the WhatsApp Business app. */
  echo_quiet_minutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .optional(),
};
