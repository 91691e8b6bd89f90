import type { VerifyResult } from '../channels/types.ts';
import { ApiError } from '../http/errors.ts';
import type { Logger } from '../logger.ts';

/**
 * Stores a verified delivery. When storing fails in a way the provider retries (any 5xx), what verifying used
 * up (a one-time token) is released first, so the redelivery with the same signature is admitted, not refused
 * as a replay. A 4xx keeps the claim: the same bytes would be refused again anyway.
 */
export async function storeVerified<T>(
  verdict: VerifyResult,
  logger: Logger,
  store: () => Promise<T>,
): Promise<T> {
  try {
    return await store();
  } catch (error) {
    const retried = !(error instanceof ApiError) || error.status >= 500;
    if (retried && verdict.ok === true && verdict.release) {
      await verdict.release().catch((err: unknown) => {
        logger.warn(
          { err },
          'could not release the webhook token; its redelivery will be refused as a replay',
        );
      });
    }
    throw error;
  }
}
