import type { Db } from '../db/client.ts';
import { rejectedWebhooks } from '../db/schema-channels.ts';
import { newId } from '../ids.ts';

/**
 * SQLSTATE classes of errors that retrying the same data can never fix: 22 data exception (invalid text,
 * out-of-range values), 54 program limit exceeded (an index row too large), and not-null/check violations.
 * Anything else (connection loss, serialization failure, lack of resources) is transient.
 */
export function permanentDataError(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return /^(22|54)/.test(code) || code === '23502' || code === '23514' ? code : undefined;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Keeps a delivery that can never be stored, with its raw bytes, so it can be inspected instead of retried. */
export async function recordRejectedWebhook(
  db: Db,
  input: { agentId: string; channel: string; body: Uint8Array; reason: string },
): Promise<void> {
  await db.insert(rejectedWebhooks).values({
    id: newId('evt'),
    agentId: input.agentId,
    channel: input.channel,
    bodyBase64: Buffer.from(input.body).toString('base64'),
    reason: input.reason,
  });
}
