/** Channels the sandbox provider stands in for; the website widget needs no provider account at all. */
export const SANDBOX_CHANNELS = ['whatsapp', 'telegram', 'email'] as const;
export type SandboxChannel = (typeof SANDBOX_CHANNELS)[number];

export const isSandboxChannel = (channel: string): channel is SandboxChannel =>
  (SANDBOX_CHANNELS as readonly string[]).includes(channel);

/**
 * Prefix of every sandbox customer's platform id (`sandbox:alice`). No provider produces such an id: WhatsApp ids
 * are digits or `US.…` user ids, Telegram ids are numbers, email ids are addresses (they always hold an `@`, which
 * a sandbox name never does). Delivery routes a reply to the sandbox only for such a recipient.
 */
export const SANDBOX_USER_PREFIX = 'sandbox:';

/** A sandbox customer's name: what the operator types as "from" (lowercase letters, digits, `.`, `_`, `-`). */
export const SANDBOX_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Where a sandbox email customer "lives": the reserved `.invalid` TLD, so nothing can ever be mailed there. */
export const SANDBOX_MAIL_DOMAIN = 'sandbox.invalid';

export const sandboxUserId = (name: string): string => `${SANDBOX_USER_PREFIX}${name}`;

/** True for a platform id the sandbox made (and only those). */
export function isSandboxUser(platformUserId: string | undefined): boolean {
  if (!platformUserId?.startsWith(SANDBOX_USER_PREFIX)) return false;
  return SANDBOX_NAME.test(platformUserId.slice(SANDBOX_USER_PREFIX.length));
}

/** The reply address of a sandbox customer on a channel: the platform id, or an `.invalid` address for email. */
export const sandboxChatId = (channel: SandboxChannel, name: string): string =>
  channel === 'email' ? `${name}@${SANDBOX_MAIL_DOMAIN}` : sandboxUserId(name);
