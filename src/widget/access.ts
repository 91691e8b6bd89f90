import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import type { ChannelAccount } from '../channels/types.ts';
import { websiteTheme } from '../channels/website/index.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { bearerToken } from '../auth/authenticate.ts';
import { forbidden, notFound, unauthorized } from '../http/errors.ts';
import { isId } from '../ids.ts';
import type { Visitor, VisitorTokens } from './visitor-tokens.ts';

/** The agent's website channel, when it exists and is switched on; 404 otherwise (same answer for both). */
export async function websiteAccount(deps: AppDeps, agentId: string): Promise<ChannelAccount> {
  if (!isId('agent', agentId)) throw notFound('Widget');
  const account = await deps.channelAccounts.resolve(agentId, 'website');
  if (!account?.enabled) throw notFound('Widget');
  return account;
}

/**
 * The page's Origin must be on the website channel's allowed_origins when that list is set; without an
 * Origin header such a widget is refused too (fail closed). Returns the origin to echo in CORS headers.
 */
export function checkOrigin(account: ChannelAccount, origin: string | undefined): string | undefined {
  const allowed = account.settings.allowed_origins as string[] | undefined;
  if (!allowed || allowed.length === 0) return origin;
  if (!origin || !allowed.includes(origin))
    throw forbidden('This page is not allowed to use this widget (Origin not allowed)');
  return origin;
}

/** The website theme with the spec's defaults filled in. */
export function publicTheme(account: ChannelAccount) {
  return websiteTheme.parse(account.settings.theme ?? {});
}

/** HMAC-SHA256(user_identifier, widget secret) in hex, compared in constant time. */
export function identityMatches(secret: string, userIdentifier: string, userHash: string): boolean {
  const expected = createHmac('sha256', secret).update(userIdentifier).digest();
  const given = /^[0-9a-f]{64}$/i.test(userHash) ? Buffer.from(userHash, 'hex') : Buffer.alloc(0);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A short tag of a widget_secret (HMAC under the secret of a fixed label): tells secrets apart, reveals nothing. */
export const widgetSecretTag = (secret: string): string =>
  createHmac('sha256', secret).update('switchboard widget secret tag v1').digest('base64url').slice(0, 22);

/** A verified visitor holds only while the widget_secret it was verified with is still the channel's secret. */
export async function verificationHolds(account: ChannelAccount, visitor: Visitor): Promise<boolean> {
  if (!visitor.verifiedIdentifier) return true;
  const secret = await account.secret('widget_secret');
  return !!secret && !!visitor.secretTag && visitor.secretTag === widgetSecretTag(secret);
}

/**
 * The visitor behind the request's bearer token for this agent; 401 when missing, expired, for another agent, or
 * verified with a widget_secret that has since changed.
 */
export async function requireVisitor(
  c: Context<AppEnv>,
  tokens: VisitorTokens,
  account: ChannelAccount,
): Promise<Visitor> {
  const token = bearerToken(c.req.header('authorization'));
  if (!token) throw unauthorized('Missing visitor token: start a session first');
  const visitor = await tokens.verify(token, account.agentId);
  if (!visitor) throw unauthorized('Visitor token is invalid or expired; refresh the session');
  if (!(await verificationHolds(account, visitor))) {
    throw unauthorized('The widget identity secret changed; verify the visitor again');
  }
  return visitor;
}

/** The identity a visitor chats under: their verified identifier, or their visitor id. */
export const platformIdOf = (visitor: Visitor) => visitor.verifiedIdentifier ?? visitor.visitorId;
