import type { ProviderAdapter } from '../types.ts';
import { sandboxEmail } from './email.ts';
import type { SandboxChannel } from './identity.ts';
import { sandboxTelegram } from './telegram.ts';
import { sandboxWhatsAppCloud, sandboxWhatsAppTwilio } from './whatsapp.ts';

/** Every sandbox adapter (the contract tests walk them). */
export const SANDBOX_ADAPTERS: readonly ProviderAdapter[] = [
  sandboxWhatsAppCloud,
  sandboxWhatsAppTwilio,
  sandboxTelegram,
  sandboxEmail,
];

/**
 * The sandbox adapter of a channel, rendering as the agent's real provider there would: WhatsApp through Twilio
 * splits at 1600 and sends a form, every other WhatsApp provider (or none) is the Cloud API.
 */
export function sandboxAdapterFor(channel: SandboxChannel, realProvider?: string): ProviderAdapter {
  if (channel === 'whatsapp') return realProvider === 'twilio' ? sandboxWhatsAppTwilio : sandboxWhatsAppCloud;
  return channel === 'telegram' ? sandboxTelegram : sandboxEmail;
}
