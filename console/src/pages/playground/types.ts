/** The playground API's shapes (src/playground/routes.ts). */

export type SandboxChannel = 'whatsapp' | 'telegram' | 'email';
export const SANDBOX_CHANNELS: SandboxChannel[] = ['whatsapp', 'telegram', 'email'];

export type SandboxProfile = {
  channel: SandboxChannel;
  provider: 'sandbox';
  renders_as: string;
  text_limit: number | null;
};

export type PlaygroundInfo = { default_from: string; channels: SandboxProfile[] };

export type Button = { label: string; value: string };

/** The WhatsApp Cloud API message body fields the playground shows. */
export type CloudBody = {
  type?: string;
  text?: { body?: string };
  image?: { link?: string; caption?: string };
  document?: { link?: string; filename?: string; caption?: string };
  interactive?: {
    type?: string;
    body?: { text?: string };
    action?: {
      buttons?: { reply: { id: string; title: string } }[];
      sections?: { rows?: { id: string; title: string }[] }[];
    };
  };
};

/** The Bot API call parameters the playground shows. */
export type TelegramParams = {
  text?: string;
  parse_mode?: string;
  photo?: string;
  document?: string;
  caption?: string;
  reply_markup?: { inline_keyboard?: { text: string; callback_data: string }[][] };
};

/** What the sandbox provider sent for one outbound part (by channel, see the README of src/channels/sandbox). */
export type Rendered = {
  renders_as: string;
  request?: {
    method?: string;
    path?: string;
    body?: CloudBody;
    form?: Record<string, string>;
    params?: TelegramParams;
  };
  headers?: Record<string, string>;
  text?: string;
  html?: string;
  mime?: string;
  attachments?: { url: string; name?: string }[];
};

export type PlaygroundMessage = {
  _id: string;
  role: string;
  content: string;
  direction: 'inbound' | 'outbound';
  status: string;
  error: { code: string; message: string } | null;
  buttons: Button[] | null;
  metadata: { email?: { subject?: string; in_reply_to?: string } } | null;
  created_at: string;
  rendered: Rendered | null;
};

export type Transcript = {
  from: string;
  conversation: { _id: string; status: 'active' | 'closed'; channel: string; handoff: unknown } | null;
  messages: PlaygroundMessage[];
};

/** A customer message the page posts. */
export type CustomerMessage = { text: string; subject?: string; in_reply_to?: string };
