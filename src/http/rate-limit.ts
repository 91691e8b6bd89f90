import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyRequests } from './errors.ts';

/** A named budget of `points` per `durationSeconds` for one key (ip, user, token…). */
export class RateLimit {
  private readonly limiter: RateLimiterMemory;
  constructor(points: number, durationSeconds: number) {
    this.limiter = new RateLimiterMemory({ points, duration: durationSeconds });
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

/** Per-caller budget on the authenticated API: keyed by token (or user, for sessions); 429 with Retry-After. */
export function limitPerCaller(perMinute: number): MiddlewareHandler<AppEnv> {
  const limit = new RateLimit(perMinute, 60);
  return async (c, next) => {
    const principal = c.get('principal');
    if (principal) await limit.consume(principal.tokenId ?? principal.userId);
    await next();
  };
}
