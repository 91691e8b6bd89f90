import { QUICK_REPLY_INSTRUCTION } from './quick-replies.ts';

/** How each channel renders a reply and how long one message may be: the model must know where it is. */
export type ChannelProfile = {
  label: string;
  formatting: string;
  limit: string;
  /** The channel shows quick-reply buttons (Telegram inline keyboard, widget buttons). */
  buttons?: boolean;
};

export const CHANNEL_PROFILES: Record<string, ChannelProfile> = {
  website: {
    label: 'the website chat widget',
    formatting: 'Markdown is rendered: **bold**, *italic*, lists, links and fenced code blocks.',
    limit: 'No hard limit; keep answers readable in a small chat panel.',
    buttons: true,
  },
  telegram: {
    label: 'Telegram',
    formatting: 'Basic Markdown is converted: **bold**, *italic*, `code`, code blocks and links. No tables.',
    limit: '4096 characters per message; longer replies are split into several messages.',
    buttons: true,
  },
  whatsapp: {
    label: 'WhatsApp',
    formatting:
      'Only *bold*, _italic_, ~strikethrough~ and ```monospace``` render. No headings, tables or links markup.',
    limit: '4096 characters per message (1600 through Twilio); longer replies are split.',
  },
  email: {
    label: 'email',
    formatting:
      'The reply becomes an email body: paragraphs, lists and links render; write complete sentences.',
    limit: 'No hard limit.',
  },
};

const fallbackProfile = (channel: string): ChannelProfile => ({
  label: channel,
  formatting: 'Plain text.',
  limit: 'Keep it short.',
});

/** The block appended to the agent's system prompt for one turn. */
export function channelContextBlock(input: {
  channel: string;
  displayName?: string;
  username?: string;
  now: Date;
}): string {
  const profile = CHANNEL_PROFILES[input.channel] ?? fallbackProfile(input.channel);
  const who = [input.displayName, input.username].filter(Boolean).join(' ');
  return [
    '## Conversation context',
    `- Channel: ${input.channel} (the user is writing through ${profile.label}).`,
    `- Formatting: ${profile.formatting}`,
    `- Length: ${profile.limit}`,
    `- User: ${who || 'unknown name'}.`,
    `- Current time: ${input.now.toISOString()}.`,
    ...(profile.buttons ? [`- Quick replies: ${QUICK_REPLY_INSTRUCTION}`] : []),
    '- Earlier messages start with "[via <channel>]": that marks where they were sent; never write such a marker yourself.',
  ].join('\n');
}
