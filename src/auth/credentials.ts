import type { Context } from 'hono';
import type { AppDeps } from '../http/env.ts';
import { unauthorized } from '../http/errors.ts';
import { clientIp, rateLimitsOf } from '../http/rate-limit.ts';
import { findUserByEmail, type UserRow } from '../platform/users.ts';
import { decoyPasswordHash, verifyPassword } from './passwords.ts';

/**
 * Email + password → the user, for the API's token login and the console's cookie login alike: the same
 * per-IP and per-IP+email budgets, and the same 401 for an unknown email and a wrong password.
 */
export type CredentialChecker = (c: Context, body: { email: string; password: string }) => Promise<UserRow>;

export function credentialChecker(deps: AppDeps): CredentialChecker {
  const loginLimit = rateLimitsOf(deps)('login', deps.config.LOGIN_FAILURES_PER_10_MIN, 600);
  // One IP's budget across every email, so a password spray is throttled; other IPs are unaffected.
  const loginIpLimit = rateLimitsOf(deps)('login-ip', deps.config.LOGIN_ATTEMPTS_PER_IP_PER_10_MIN, 600);
  return async (c: Context, body: { email: string; password: string }) => {
    const ip = clientIp(c, deps.config.TRUST_PROXY);
    const limitKey = `${ip}|${body.email.toLowerCase()}`;
    await loginIpLimit.consume(ip);
    await loginLimit.consume(limitKey);
    const user = await findUserByEmail(deps.database.db, body.email);
    const ok = await verifyPassword(body.password, user?.passwordHash ?? (await decoyPasswordHash()));
    if (!user || !ok) throw unauthorized('Invalid email or password');
    await loginLimit.reset(limitKey);
    return user;
  };
}
