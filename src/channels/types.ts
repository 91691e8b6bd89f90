import type { KeyObject } from 'node:crypto';
import type { z } from 'zod';
import type { Logger } from '../logger.ts';
import type { SandboxOutbox } from './sandbox/outbox.ts';

/** The spec's public channels. */
export const CHANNELS = ['whatsapp', 'telegram', 'email', 'website'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/**
 * A mail-authentication verdict the receiving provider computed (SendGrid `SPF`/`dkim`, Mailgun `X-Mailgun-*`, SES
 * `spfVerdict`/`dkimVerdict`/`dmarcVerdict`). Values are lowercased RFC 8601 results: pass, fail, softfail,
 * neutral, none, temperror, permerror (map SES GRAY → none, PROCESSING_FAILED → temperror).
 */
export type ProviderMailVerdict = {
  /** Which provider judged: 'sendgrid', 'mailgun', 'ses'. */
  provider: string;
  spf?: string;
  dkim?: string;
  dmarc?: string;
  /** The From domain's DMARC policy when DMARC failed (reject, quarantine, none). */
  dmarc_policy?: string;
  /** Domains whose DKIM signature passed, when the provider names them. */
  dkim_domains?: string[];
  /** The provider's own id for the received mail (SES messageId…), kept for support. */
  mail_id?: string;
};

/** One mail a provider posted, as RFC 5322 bytes ready for the shared pipeline (`engine.ingestRawMail`). */
export type InboundMail = {
  raw: Buffer;
  /**
   * True when `raw` was composed from parsed fields (SendGrid/Mailgun parsed forms): its DKIM signatures can no
   * longer be checked, so the provider's verdict is used instead of re-verifying. False for the original bytes.
   */
  composed: boolean;
  verdict?: ProviderMailVerdict;
  /** The connecting client's IP as the provider reports it (SPF), when known. */
  clientIp?: string;
  /** Overrides the dedupe key (default: Message-ID, else content hash). */
  dedupeKey?: string;
};

/** Attachment metadata recorded on a message; bytes are fetched only when needed. */
export type AttachmentMeta = {
  type: 'image' | 'document' | 'audio' | 'voice' | 'video' | 'location' | 'contact' | 'sticker' | 'other';
  /** Provider handle for fetching the bytes later (Telegram file_id, Meta media id, URL…). */
  ref?: string;
  name?: string;
  mime_type?: string;
  size?: number;
  /** Anything else worth keeping (coordinates, caption…). */
  extra?: Record<string, unknown>;
};

/** Who sent an inbound message, as the provider identifies them. */
export type InboundSender = {
  /** Provider-scoped user id, without the channel prefix (e.g. Telegram's numeric user id). */
  platformUserId: string;
  /** Where replies go (Telegram chat id, WhatsApp number, email address…). */
  chatId: string;
  /** Display handle, e.g. "@johndoe". */
  username?: string;
  displayName?: string;
  /** What API clients see as the conversation's user_identifier; defaults to "<channel>:<platformUserId>". */
  userIdentifier?: string;
  /** Verified identity attributes the provider vouches for. */
  email?: string;
  phone?: string;
  /**
   * Other ids the provider knows this person by (WhatsApp: the number, when keyed on the user id). An identity
   * recorded under one of them is re-keyed to `platformUserId`, so the conversation carries on.
   */
  alternateIds?: string[];
};

/** A normalized inbound user message. */
export type InboundMessageEvent = {
  kind: 'message';
  /** The provider's id for this delivery (Telegram update_id, Meta message id…): the dedupe key. */
  eventId: string;
  /** The provider's id for the message itself, when it has one. */
  providerMessageId?: string;
  sender: InboundSender;
  text: string;
  attachments?: AttachmentMeta[];
  /** Channel-specific extras merged into the conversation's channel_metadata. */
  metadata?: Record<string, unknown>;
  /** When set, this event edits an earlier message rather than adding one. */
  editOf?: string;
  /** Provider timestamp (ISO 8601), when given. */
  sentAt?: string;
  /** A provider handle the adapter acknowledges once the event is recorded (Telegram callback_query id). */
  acknowledgeRef?: string;
  /**
   * Provider ids of earlier messages this one answers, most specific first (email In-Reply-To, then
   * References): one we sent continues that message's conversation.
   */
  inReplyTo?: string[];
  /** Record the message but never answer it (auto-reply, list mail…): the reason. */
  noReply?: string;
  /** Facts about this one message, stored on it and shown by the API (email: Message-ID, full text, verdict). */
  messageMetadata?: Record<string, unknown>;
};

/** A normalized delivery-status update for an outbound message. */
export type InboundStatusEvent = {
  kind: 'status';
  eventId: string;
  providerMessageId: string;
  status: 'sent' | 'delivered' | 'read' | 'played' | 'failed' | 'blocked';
  at?: string;
  error?: { code: string; message: string };
  /** The send failed because the 24-hour customer service window was closed (WhatsApp 131047). */
  outsideWindow?: boolean;
  /**
   * Our outbound message id, when the provider echoes it back (SendGrid custom_args, Mailgun v: variables, a
   * header we set): the status is then matched on it instead of `providerMessageId`, never by guess.
   */
  messageId?: string;
};

/** A contact blocked or unblocked the bot (Telegram my_chat_member, etc.). */
export type InboundContactEvent = {
  kind: 'contact';
  eventId: string;
  platformUserId: string;
  blocked: boolean;
};

/** The person's platform id changed (WhatsApp number or user id change): re-key their identity, keep the history. */
export type InboundIdentityEvent = {
  kind: 'identity_changed';
  eventId: string;
  /** Ids the identity may be recorded under now (old user id, old number…), most specific first. */
  previousPlatformUserIds: string[];
  /** Who they are from now on. */
  sender: InboundSender;
  sentAt?: string;
};

/** A message a human sent from another client on the same account (WhatsApp Business app echoes). */
export type InboundEchoEvent = {
  kind: 'echo';
  eventId: string;
  providerMessageId: string;
  /** The person it was sent to. */
  recipient: InboundSender;
  text: string;
  attachments?: AttachmentMeta[];
  /** When set, this echo edits (or, as `[deleted]`, revokes) an earlier echoed message rather than adding one. */
  editOf?: string;
  sentAt?: string;
};

export type InboundEvent =
  InboundMessageEvent | InboundStatusEvent | InboundContactEvent | InboundIdentityEvent | InboundEchoEvent;

export type OutboundAttachment = { type: 'image' | 'document'; url: string; name?: string };
export type ReplyButton = { label: string; value: string };

/** A whole reply, or one part of it: what one outbound message row carries. */
export type ReplyPart = {
  text: string;
  attachments?: OutboundAttachment[];
  buttons?: ReplyButton[];
};

/** One outbound message, as the delivery job hands it to an adapter. */
export type OutboundMessage = ReplyPart & {
  messageId: string;
  /** Stable across retries of the same message; adapters pass it on where the provider supports it. */
  idempotencyKey: string;
  conversationId: string;
  recipient: { platformUserId: string; chatId: string };
  /** The conversation's channel_metadata (email: thread subject and Message-IDs to reply to). */
  channelMetadata?: Record<string, unknown>;
  /** `human`: an operator wrote it (email then sends it as a person's mail, not an automatic reply). */
  author?: 'human';
};

export type SendResult = { providerMessageId: string };

/** An approved template message (WhatsApp re-engagement); parameters are already resolved by the caller. */
export type TemplateMessage = {
  messageId: string;
  idempotencyKey: string;
  conversationId: string;
  recipient: { platformUserId: string; chatId: string };
  template: { name: string; language: string; parameters: string[] };
};

/** Raw webhook request as the adapter sees it: exact bytes for signature checks. */
export type RawRequest = {
  method: string;
  url: string;
  headers: Headers;
  body: Uint8Array;
};

export type VerifyResult =
  /**
   * `release` undoes what verifying used up (a one-time token claimed), called when the delivery could not be
   * stored and the provider will redeliver it with the same signature.
   */
  | { ok: true; release?: () => Promise<void> }
  | { ok: false; reason: string }
  /** A provider handshake (Meta's GET challenge) answered directly. */
  | { ok: 'handshake'; status: number; body: string };

/** A configured channel account: settings plus on-demand secret decryption. */
export type ChannelAccount = {
  agentId: string;
  channel: ChannelName;
  provider: string;
  enabled: boolean;
  /** Non-secret settings (phone_number, bot_username, theme…). */
  settings: Record<string, unknown>;
  /** Decrypts one secret field when it is needed; undefined when not configured. Never cache the result. */
  secret(field: string): Promise<string | undefined>;
  /**
   * The secret as an HMAC key, built once per cached account (webhook signatures on the hot path: a KeyObject
   * HMAC costs a fifth of one keyed by a Buffer) and dropped with the account's cache entry. Optional: without
   * it, callers build the key from `secret()`.
   */
  hmacKey?(field: string): Promise<KeyObject | undefined>;
};

/** I/O handed to adapters, so tests can point them at fake servers without patching globals. */
export type AdapterContext = {
  account: ChannelAccount;
  /** For provider APIs at operator-configured base URLs. */
  fetch: typeof fetch;
  /** For URLs taken from users or payloads: refuses private and loopback targets (src/net/outbound-guard.ts). */
  fetchPublic: typeof fetch;
  now(): number;
  logger: Logger;
  /** Public base URL of this server (PUBLIC_URL), when configured. */
  publicUrl?: string;
  /** Extra CA certificates (PEM file, EMAIL_TLS_CA_FILE) trusted for mail servers (SMTP, IMAP). */
  tlsCaFile?: string;
  /** Provider API base URLs from configuration, by provider (telegram: TELEGRAM_API_ROOT). */
  apiRoots?: Readonly<Record<string, string>>;
  /** Host patterns SNS signing certificates and SubscribeURLs may come from (AWS_SNS_TRUSTED_HOSTS). */
  snsTrustedHosts?: readonly string[];
  /**
   * Records `key` (scoped to this agent and provider) as used for `ttlMs`; true the first time, false when it was
   * already used and has not expired. Durable and shared by every process (the database): webhook replay
   * defence (Mailgun tokens, SNS message ids). Absent where no database is wired (then fail closed).
   */
  claimOnce?(key: string, ttlMs: number): Promise<boolean>;
  /** Forgets a `claimOnce` key, so the same delivery can be claimed again (its storing failed). */
  releaseClaim?(key: string): Promise<void>;
  /** Sandbox accounts only: where the sandbox provider keeps what it rendered (src/channels/sandbox). */
  sandboxOutbox?: SandboxOutbox;
};

/** The URLs an email provider is configured with, for `emailWebhookInfo`. */
export type EmailWebhookUrls = {
  /** POST …/webhooks/email/{agentId} with Basic auth `inbound:<inbound_secret>` in the URL. */
  inboundWithCredentials: string;
  /** The same URL without credentials (for providers that sign their posts). */
  inbound: string;
  /** POST …/webhooks/email/{agentId}/events (delivery events). */
  events: string;
};

/** Result of a "test connection" call, in the spec's shapes. */
export type TestResult =
  | { success: true; message: string; details: Record<string, unknown> }
  | { success: false; error: string; details: string | Record<string, unknown> };

/** Whom a typing indicator is for; `inReplyTo` is the provider id of their latest message (WhatsApp marks it read). */
export type TypingRecipient = { platformUserId: string; chatId: string; inReplyTo?: string };

/** One provider's protocol code. Adapters never touch the database or the queue. */
export type ProviderAdapter = {
  /** 'loopback' is the test-only channel (src/channels/loopback). */
  channel: ChannelName | 'loopback';
  provider: string;
  /** zod schema of the provider's settings, secrets included. */
  configSchema: z.ZodType;
  /** Names of the fields the vault encrypts and responses never show (dotted paths: `credentials.auth_token`). */
  secretFields: readonly string[];
  /** Secret fields generated when a config has none (Telegram's webhook_secret): the channel never runs without. */
  generatedSecrets?: Readonly<Record<string, () => string>>;
  verify?(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult>;
  /** Normalizes a verified request; `ctx` carries the account's settings (e.g. which group chats are allowed). */
  parse?(request: RawRequest, ctx?: AdapterContext): InboundEvent[];
  /** Runs after the events are durably recorded (Telegram answers callback queries); failures are only logged. */
  acknowledge?(events: InboundEvent[], ctx: AdapterContext): Promise<void>;
  /** Shows a "typing…" indicator; the engine repeats it every few seconds while a turn runs. */
  typing?(recipient: TypingRecipient, ctx: AdapterContext): Promise<void>;
  send?(message: OutboundMessage, ctx: AdapterContext): Promise<SendResult>;
  /** Sends an approved template (outside WhatsApp's 24-hour window); body parameters as text. */
  sendTemplate?(message: TemplateMessage, ctx: AdapterContext): Promise<SendResult>;
  /**
   * The re-engagement template in this provider's settings, when they are not the Cloud API's
   * `reengagement_template` (Twilio: `content_sid` + `content_variables`); null when none is configured.
   */
  reengagementTemplate?(
    settings: Record<string, unknown>,
  ): { name: string; language: string; parameters?: string[] } | null;
  /** The body a verified webhook is answered with, when the provider wants more than JSON (Twilio: empty TwiML). */
  webhookAck?: { contentType: string; body: string };
  /** Streams an inbound attachment's bytes from the provider (bounded size; credentials only to its hosts). */
  fetchAttachment?(
    attachment: AttachmentMeta,
    ctx: AdapterContext,
  ): Promise<{ body: ReadableStream<Uint8Array>; contentType: string; size?: number }>;
  /**
   * Splits a whole reply (text, attachments, buttons) into the parts the channel carries, in order. Each part
   * is stored as one outbound message and handed to `send` alone, so a retry never repeats another part.
   * Absent: the reply is one part.
   */
  splitReply?(reply: ReplyPart): ReplyPart[];
  test?(ctx: AdapterContext): Promise<TestResult>;
  setupWebhook?(ctx: AdapterContext, input: { webhook_url?: string }): Promise<Record<string, unknown>>;
  webhookInfo?(ctx: AdapterContext): Promise<Record<string, unknown>>;

  // Email providers (SendGrid, Mailgun, SES): see src/channels/email/PROVIDERS.md.
  /**
   * Authenticates a provider's inbound-mail post on POST …/webhooks/email/{agentId} (any Content-Type other than
   * message/rfc822, which always takes the inbound-secret path). `{ ok: 'handshake' }` (SNS
   * SubscriptionConfirmation, after the adapter confirmed it) is answered with its status and body, nothing stored.
   */
  verifyInboundMail?(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult>;
  /**
   * Turns a verified inbound-mail post into raw mails (none for a post that carries no mail). Throws
   * `InboundMailError` (src/channels/email/inbound-mail-error.ts) for a malformed post: 4xx naming the field.
   */
  parseInboundMail?(request: RawRequest, ctx: AdapterContext): Promise<InboundMail[]>;
  /** Authenticates a delivery-events post on POST …/webhooks/email/{agentId}/events; handshakes as above. */
  verifyMailEvents?(request: RawRequest, ctx: AdapterContext): Promise<VerifyResult>;
  /**
   * Normalizes verified delivery events: `status` events (with `messageId` when the provider echoes ours), and a
   * `contact` event `blocked: true` for a complaint or hard bounce. Throws on a malformed body (→ 400).
   */
  parseMailEvents?(request: RawRequest, ctx: AdapterContext): InboundEvent[];
  /** What to paste where in the provider's console, shown by GET …/channels/email/webhook/info as `provider`. */
  emailWebhookInfo?(ctx: AdapterContext, urls: EmailWebhookUrls): Record<string, unknown>;
};
