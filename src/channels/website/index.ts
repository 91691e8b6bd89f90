import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { hexColor, origin, token } from '../validators.ts';

/** The widget's look; every field has the spec's example as its default. */
export const websiteTheme = z
  .object({
    primary_color: hexColor.default('#0084ff'),
    position: z.enum(['bottom-right', 'bottom-left']).default('bottom-right'),
    greeting_message: z.string().min(1).max(500).default('Hello! How can I help you?'),
  })
  .strict();

/** Website widget settings (spec: Website). Enabled by default for every agent. */
export const websiteConfig = z
  .object({
    theme: websiteTheme.optional(),
    /** Pages allowed to embed the widget; empty or absent allows any. */
    allowed_origins: z.array(origin).max(50).optional(),
    /** Signs widget sessions; never shown after it is stored. */
    widget_secret: token(16, 256).optional(),
  })
  .strict();

export const website: ProviderAdapter = {
  channel: 'website',
  provider: 'website',
  configSchema: websiteConfig,
  secretFields: ['widget_secret'],
};
