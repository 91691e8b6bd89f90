import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyRequests } from './errors.ts';

/** A named budget of `points` per `durationSeconds` for one key (ip, user, token…). */
export class RateLimit {
  private readonly limiter: RateLimiterAbstract;
  /** In-process by default; pass a shared limiter (PostgreSQL store) when several processes serve traffic. */
  constructor(points: number, durationSeconds: number, limiter?: RateLimiterAbstract) {
    this.limiter = limiter ?? new RateLimiterMemory({ points, duration: durationSeconds });
  }

  /** Spends one point for `key`; throws a 429 carrying Retry-After when the budget is gone. */
  async consume(key: string): Promise<void> {
    try {
      await this.limiter.consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes)
        throw tooManyRequests(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw err;
    }
  }

  /** Forgets `key` (e.g. after a successful login). */
  async reset(key: string): Promise<void> {
    await this.limiter.delete(key);
  }
}

/** The caller's IP: the socket's, or the first X-Forwarded-For hop when TRUST_PROXY is on. */
export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Makes a named budget; the name keeps budgets apart in a shared store. */
export type RateLimitFactory = (name: string, points: number, durationSeconds: number) => RateLimit;

export const memoryRateLimits: RateLimitFactory = (_name, points, durationSeconds) =>
  new RateLimit(points, durationSeconds);

/** The app's budget factory: the shared store when configured, else in-process. */
export const rateLimitsOf = (deps: { rateLimits?: RateLimitFactory }): RateLimitFactory =>
  deps.rateLimits ?? memoryRateLimits;

/** Per-caller budget on the authenticated API: keyed by token (or user, for sessions); 429 with Retry-After. */
export function limitPerCaller(perMinute: number, limits: RateLimitFactory): MiddlewareHandler<AppEnv> {
  const limit = limits('api', perMinute, 60);
  return async (c, next) => {
    const principal = c.get('principal');
    if (principal) await limit.consume(principal.tokenId ?? principal.userId);
    await next();
  };
}
