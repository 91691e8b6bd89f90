import type { Logger } from '../logger.ts';
import { isDatabaseUnavailable } from './unavailable.ts';

/** Longest pause between two start-up attempts. */
const MAX_DELAY_MS = 5000;

/**
 * Runs `start` until it succeeds, retrying while the database is unavailable (down, restarting, not reachable
 * yet) for up to `waitMs`, with a growing pause (250 ms doubling to 5 s); any other error, or one past the wait,
 * is thrown at once. A process started with its database (a fleet, a container) then waits instead of exiting.
 */
export async function startWhenDatabaseIsUp<T>(
  start: () => Promise<T>,
  options: { waitMs: number; logger: Logger; sleep?: (ms: number) => Promise<void> },
): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + options.waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const delay = Math.min(MAX_DELAY_MS, 250 * 2 ** (attempt - 1));
      if (!isDatabaseUnavailable(error) || Date.now() + delay > deadline) throw error;
      options.logger.warn(
        { err: error, attempt, retry_in_ms: delay },
        'database unavailable at start-up; retrying',
      );
      await sleep(delay);
    }
  }
}
