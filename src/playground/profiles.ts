import type { ChannelAccounts } from '../channels/accounts.ts';
import { SANDBOX_CHANNELS } from '../channels/sandbox/identity.ts';
import { TWILIO_BODY_LIMIT } from '../channels/twilio/send.ts';
import { TELEGRAM_TEXT_LIMIT } from '../channels/telegram/split.ts';
import { WHATSAPP_TEXT_LIMIT } from '../channels/whatsapp/split.ts';

/**
 * How the sandbox of each channel renders for this agent: WhatsApp like its configured provider (Twilio's form and
 * 1600-character parts, else the Cloud API's 4096), Telegram as the Bot API, email as the MIME mail.
 */
export async function sandboxProfiles(accounts: ChannelAccounts, agentId: string) {
  const whatsapp = await accounts.resolve(agentId, 'whatsapp');
  const twilio = whatsapp?.provider === 'twilio';
  const profile = {
    whatsapp: {
      renders_as: twilio ? 'twilio' : 'cloud_api',
      text_limit: twilio ? TWILIO_BODY_LIMIT : WHATSAPP_TEXT_LIMIT,
    },
    telegram: { renders_as: 'telegram', text_limit: TELEGRAM_TEXT_LIMIT },
    email: { renders_as: 'mime', text_limit: null },
  };
  return SANDBOX_CHANNELS.map((channel) => ({ channel, provider: 'sandbox' as const, ...profile[channel] }));
}
