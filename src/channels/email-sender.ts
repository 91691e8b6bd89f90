import { z } from 'zod';
import { emailAddress } from './validators.ts';

/** The sender every email provider needs (spec: from_email, from_name). */
export const emailSender = z.object({
  from_email: emailAddress,
  from_name: z.string().min(1).max(200).optional(),
});
