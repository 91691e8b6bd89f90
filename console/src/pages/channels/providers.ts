/**
 * Every provider's form, after the server's configSchema/secretFields (src/channels/<provider>/index.ts): dotted
 * paths as the PUT body nests them, which are secrets, hints that say what a valid value looks like.
 */

export type FieldKind = 'text' | 'secret' | 'number' | 'checkbox' | 'select' | 'lines' | 'pairs' | 'color';

export type FieldDef = {
  path: string;
  label: string;
  kind: FieldKind;
  hint?: string;
  placeholder?: string;
  required?: boolean;
  options?: readonly { value: string; label: string }[];
  /** A checkbox's or select's value before anything is stored. */
  initial?: string | boolean;
  /** Fields of an optional nested object (imap_config): sent only when one of them is filled in. */
  group?: string;
};

export type ProviderDef = {
  id: string;
  label: string;
  /** Where to get the credentials, in one line. */
  intro: string;
  fields: readonly FieldDef[];
};

export type ChannelKey = 'whatsapp' | 'telegram' | 'email' | 'website';

/** Optional nested objects shown as their own fieldset, by path prefix. */
export const GROUPS: Record<string, { legend: string; hint: string }> = {
  reengagement_template: {
    legend: 'Re-engagement template (optional)',
    hint: 'Sent when the 24-hour customer service window is closed.',
  },
  imap_config: {
    legend: 'Inbound mail by IMAP (optional)',
    hint: 'A mailbox the server polls for customer mail, with any outbound provider.',
  },
};

const phone: FieldDef = {
  path: 'phone_number',
  label: 'WhatsApp phone number',
  kind: 'text',
  required: true,
  placeholder: '+14155551234',
  hint: 'E.164: + then country code and number, no spaces.',
};

/** Settings every Cloud API provider (Meta, 360dialog) accepts. */
const cloudShared: FieldDef[] = [
  {
    path: 'echo_quiet_minutes',
    label: 'Quiet minutes after a human reply',
    kind: 'number',
    placeholder: '0',
    hint: 'The agent stays silent this long after someone answers from the WhatsApp Business app.',
  },
  {
    path: 'reengagement_template.name',
    label: 'Template name',
    kind: 'text',
    group: 'reengagement_template',
    placeholder: 'welcome_back',
    hint: 'Lowercase letters, digits and _.',
  },
  {
    path: 'reengagement_template.language',
    label: 'Template language',
    kind: 'text',
    group: 'reengagement_template',
    placeholder: 'en_US',
  },
  {
    path: 'reengagement_template.parameters',
    label: 'Template parameters',
    kind: 'lines',
    group: 'reengagement_template',
    hint: 'One per line, in order; {{contact_name}} is replaced by the contact’s name.',
  },
];

const twilio: ProviderDef = {
  id: 'twilio',
  label: 'Twilio',
  intro: 'Twilio Console → Account info: Account SID and Auth token. Good for development with the sandbox.',
  fields: [
    phone,
    {
      path: 'credentials.account_sid',
      label: 'Account SID',
      kind: 'text',
      required: true,
      placeholder: 'AC…',
      hint: 'AC followed by 32 hex digits.',
    },
    { path: 'credentials.auth_token', label: 'Auth token', kind: 'secret', required: true },
    {
      path: 'credentials.secondary_auth_token',
      label: 'Secondary auth token',
      kind: 'secret',
      hint: 'Only while rotating: webhooks signed with either token are accepted.',
    },
    {
      path: 'content_sid',
      label: 'Re-engagement Content SID',
      kind: 'text',
      placeholder: 'HX…',
      hint: 'Content template sent when the 24-hour window is closed.',
    },
    {
      path: 'content_variables',
      label: 'Content variables',
      kind: 'pairs',
      hint: 'One per line as name=value, e.g. 1={{contact_name}}.',
    },
    {
      path: 'quick_reply_content_sid',
      label: 'Quick-reply Content SID',
      kind: 'text',
      placeholder: 'HX…',
      hint: 'Used for replies with 1–3 buttons.',
    },
    { path: 'webhook_shared_key_id', label: 'Webhook shared key id', kind: 'text' },
    {
      path: 'credentials.webhook_shared_key',
      label: 'Webhook shared key',
      kind: 'secret',
      hint: 'Optional HMAC-SHA256 webhook signing key.',
    },
  ],
};

const meta: ProviderDef = {
  id: 'meta',
  label: 'Meta Cloud API',
  intro:
    'Meta App Dashboard → WhatsApp → API Setup: phone number id, token; App settings → Basic: App secret.',
  fields: [
    phone,
    {
      path: 'credentials.phone_number_id',
      label: 'Phone number id',
      kind: 'text',
      required: true,
      placeholder: '123456789',
    },
    {
      path: 'credentials.business_account_id',
      label: 'Business account id',
      kind: 'text',
      placeholder: '987654321',
    },
    {
      path: 'credentials.access_token',
      label: 'Access token',
      kind: 'secret',
      required: true,
      hint: 'A permanent system-user token.',
    },
    {
      path: 'credentials.app_secret',
      label: 'App secret',
      kind: 'secret',
      required: true,
      hint: 'Checks the X-Hub-Signature-256 of every event.',
    },
    {
      path: 'verify_token',
      label: 'Verify token',
      kind: 'secret',
      required: true,
      hint: 'Any string you choose; enter the same one in Meta’s webhook settings.',
    },
    { path: 'graph_version', label: 'Graph API version', kind: 'text', placeholder: 'v25.0' },
    ...cloudShared,
  ],
};

const dialog360: ProviderDef = {
  id: '360dialog',
  label: '360dialog',
  intro: '360dialog Hub → your number → API key.',
  fields: [
    phone,
    { path: 'credentials.api_key', label: 'API key', kind: 'secret', required: true },
    { path: 'credentials.client_id', label: 'Client id', kind: 'text' },
    {
      path: 'webhook_secret',
      label: 'Webhook secret',
      kind: 'secret',
      hint: 'Generated when left empty; sent by 360dialog as a header.',
    },
    ...cloudShared,
  ],
};

const telegram: ProviderDef = {
  id: 'telegram',
  label: 'Telegram Bot API',
  intro: 'Talk to @BotFather in Telegram: /newbot, then copy the token it prints.',
  fields: [
    {
      path: 'bot_token',
      label: 'Bot token',
      kind: 'secret',
      required: true,
      placeholder: '123456789:ABCdef…',
      hint: 'From @BotFather: digits, a colon, then the secret.',
    },
    {
      path: 'bot_username',
      label: 'Bot username',
      kind: 'text',
      placeholder: 'my_assistant_bot',
      hint: 'Optional; the test checks that the token belongs to this bot.',
    },
    {
      path: 'webhook_secret',
      label: 'Webhook secret',
      kind: 'secret',
      hint: 'Generated when left empty; Telegram sends it with every update.',
    },
    {
      path: 'allowed_chats',
      label: 'Allowed group chats',
      kind: 'lines',
      hint: 'Numeric chat ids, one per line. Empty: any group where the bot is mentioned.',
    },
  ],
};

const emailFirst: FieldDef[] = [
  {
    path: 'from_email',
    label: 'From address',
    kind: 'text',
    required: true,
    placeholder: 'support@yourdomain.com',
  },
  { path: 'from_name', label: 'From name', kind: 'text', placeholder: 'Support Team' },
];

const emailLast: FieldDef[] = [
  {
    path: 'require_authentication',
    label: 'Answer only authenticated senders (DMARC or aligned DKIM)',
    kind: 'checkbox',
    initial: false,
  },
  {
    path: 'trusted_authserv_ids',
    label: 'Trusted receiving servers',
    kind: 'lines',
    hint: 'Host names (authserv-id) whose Authentication-Results header is trusted; one per line.',
  },
  {
    path: 'inbound_secret',
    label: 'Inbound secret',
    kind: 'secret',
    hint: 'Generated when left empty; part of the inbound URL below.',
  },
  {
    path: 'imap_config.host',
    label: 'IMAP host',
    kind: 'text',
    group: 'imap_config',
    placeholder: 'imap.example.com',
  },
  { path: 'imap_config.port', label: 'IMAP port', kind: 'number', group: 'imap_config', placeholder: '993' },
  {
    path: 'imap_config.secure',
    label: 'Implicit TLS (port 993)',
    kind: 'checkbox',
    group: 'imap_config',
    initial: true,
  },
  { path: 'imap_config.username', label: 'IMAP username', kind: 'text', group: 'imap_config' },
  { path: 'imap_config.password', label: 'IMAP password', kind: 'secret', group: 'imap_config' },
  { path: 'imap_config.mailbox', label: 'Mailbox', kind: 'text', group: 'imap_config', placeholder: 'INBOX' },
];

const smtp: ProviderDef = {
  id: 'smtp',
  label: 'SMTP',
  intro: 'Any mail server; for Gmail use smtp.gmail.com, port 587 and an app password.',
  fields: [
    ...emailFirst,
    {
      path: 'smtp_config.host',
      label: 'SMTP host',
      kind: 'text',
      required: true,
      placeholder: 'smtp.gmail.com',
    },
    { path: 'smtp_config.port', label: 'SMTP port', kind: 'number', required: true, placeholder: '587' },
    {
      path: 'smtp_config.secure',
      label: 'Implicit TLS (port 465); off uses STARTTLS',
      kind: 'checkbox',
      initial: false,
    },
    { path: 'smtp_config.username', label: 'SMTP username', kind: 'text' },
    { path: 'smtp_config.password', label: 'SMTP password', kind: 'secret' },
    ...emailLast,
  ],
};

const sendgrid: ProviderDef = {
  id: 'sendgrid',
  label: 'SendGrid',
  intro: 'SendGrid → Settings → API Keys: a key with Mail Send permission.',
  fields: [
    ...emailFirst,
    {
      path: 'api_keys.sendgrid',
      label: 'SendGrid API key',
      kind: 'secret',
      required: true,
      placeholder: 'SG.…',
    },
    {
      path: 'sendgrid_config.event_webhook_public_key',
      label: 'Event webhook verification key',
      kind: 'text',
      placeholder: 'MFkw…',
      hint: 'From “Signed Event Webhook”; delivery events are refused until it is set.',
    },
    ...emailLast,
  ],
};

const mailgun: ProviderDef = {
  id: 'mailgun',
  label: 'Mailgun',
  intro: 'Mailgun → Sending → Domains: your domain, and an API key from API Security.',
  fields: [
    ...emailFirst,
    { path: 'api_keys.mailgun', label: 'Mailgun API key', kind: 'secret', required: true },
    {
      path: 'mailgun_config.domain',
      label: 'Sending domain',
      kind: 'text',
      required: true,
      placeholder: 'mg.yourdomain.com',
    },
    {
      path: 'mailgun_config.region',
      label: 'Region',
      kind: 'select',
      initial: 'us',
      options: [
        { value: 'us', label: 'US (api.mailgun.net)' },
        { value: 'eu', label: 'EU (api.eu.mailgun.net)' },
      ],
    },
    {
      path: 'mailgun_config.webhook_signing_key',
      label: 'Webhook signing key',
      kind: 'secret',
      hint: 'Mailgun → Settings → Webhook signing key; inbound routes and events are refused until it is set.',
    },
    ...emailLast,
  ],
};

const ses: ProviderDef = {
  id: 'ses',
  label: 'Amazon SES',
  intro: 'AWS IAM user with ses:SendEmail, or leave the keys empty to use the server’s AWS credentials.',
  fields: [
    ...emailFirst,
    {
      path: 'ses_config.region',
      label: 'AWS region',
      kind: 'text',
      required: true,
      placeholder: 'us-east-1',
    },
    {
      path: 'ses_config.access_key_id',
      label: 'Access key id',
      kind: 'text',
      placeholder: 'AKIA…',
      hint: 'Optional: without keys the AWS default credential chain is used.',
    },
    { path: 'ses_config.secret_access_key', label: 'Secret access key', kind: 'secret' },
    {
      path: 'ses_config.configuration_set_name',
      label: 'Configuration set',
      kind: 'text',
      hint: 'Its SNS event destination publishes Delivery, Bounce and Complaint.',
    },
    {
      path: 'ses_config.sns_topic_arns',
      label: 'SNS topic ARNs',
      kind: 'lines',
      placeholder: 'arn:aws:sns:us-east-1:123456789012:inbound',
      hint: 'The only topics whose posts are accepted; one per line.',
    },
    ...emailLast,
  ],
};

const website: ProviderDef = {
  id: 'website',
  label: 'Website widget',
  intro: 'The built-in chat widget: one script tag on your site.',
  fields: [
    {
      path: 'theme.primary_color',
      label: 'Primary colour',
      kind: 'color',
      placeholder: '#0084ff',
      hint: 'A hex colour such as #0084ff.',
    },
    {
      path: 'theme.position',
      label: 'Position',
      kind: 'select',
      initial: 'bottom-right',
      options: [
        { value: 'bottom-right', label: 'Bottom right' },
        { value: 'bottom-left', label: 'Bottom left' },
      ],
    },
    { path: 'theme.greeting_message', label: 'Greeting message', kind: 'text' },
    {
      path: 'allowed_origins',
      label: 'Allowed sites',
      kind: 'lines',
      placeholder: 'https://shop.example.com',
      hint: 'Origins allowed to embed the widget, one per line. Empty: any site.',
    },
    {
      path: 'widget_secret',
      label: 'Widget secret',
      kind: 'secret',
      hint: 'Optional: signs widget sessions.',
    },
  ],
};

/** The channels in page order, each with its providers (the spec's, in its order). */
export const CHANNEL_PROVIDERS: Record<ChannelKey, readonly ProviderDef[]> = {
  whatsapp: [twilio, meta, dialog360],
  telegram: [telegram],
  email: [smtp, sendgrid, mailgun, ses],
  website: [website],
};

export const CHANNEL_KEYS: readonly ChannelKey[] = ['whatsapp', 'telegram', 'email', 'website'];

/** Channels with the spec's connection test. */
export const TESTABLE: readonly ChannelKey[] = ['whatsapp', 'telegram', 'email'];
