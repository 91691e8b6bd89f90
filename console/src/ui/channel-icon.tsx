/** Channels as the API names them. */
export type ChannelName = 'whatsapp' | 'telegram' | 'email' | 'website' | string;

const LABELS: Record<string, string> = {
  whatsapp: 'WhatsApp',
  telegram: 'Telegram',
  email: 'Email',
  website: 'Website',
};

export const channelLabel = (channel: ChannelName) => LABELS[channel] ?? channel;

/** Simple path per channel, drawn in the channel's colour class; labelled for screen readers. */
const PATHS: Record<string, string> = {
  whatsapp:
    'M12 3a9 9 0 0 0-7.8 13.5L3 21l4.6-1.2A9 9 0 1 0 12 3Zm-3 5h2l1 2.5-1.2 1a6 6 0 0 0 2.7 2.7l1-1.2L16 14v2a1 1 0 0 1-1 1A8 8 0 0 1 8 9a1 1 0 0 1 1-1Z',
  telegram: 'M21 4 3 11l5 2 2 6 3-4 5 4 3-15ZM9 13l8-6-6 7-.5 3L9 13Z',
  email: 'M3 6h18v12H3V6Zm2 2v.5l7 4.5 7-4.5V8l-7 4.5L5 8Z',
  website: 'M4 5h16v11H4V5Zm2 2v7h12V7H6Zm3 11h6v2H9v-2Z',
};

export function ChannelIcon(props: { channel: ChannelName; size?: number }) {
  const size = props.size ?? 18;
  return (
    <svg
      class={`channel-icon channel-${props.channel}`}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      role="img"
      aria-label={channelLabel(props.channel)}
    >
      <path d={PATHS[props.channel] ?? 'M4 4h16v16H4z'} fill="currentColor" />
    </svg>
  );
}
