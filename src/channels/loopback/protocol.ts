import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { InboundStatusEvent } from '../types.ts';

/** Header carrying hex HMAC-SHA256 of the raw body under the loopback secret. */
export const LOOPBACK_SIGNATURE_HEADER = 'x-loopback-signature';

/** One inbound loopback update: a user message or a delivery status. */
export type LoopbackUpdate = {
  update_id: string;
  message?: { message_id?: string; from: string; text: string; username?: string; name?: string };
  status?: { message_id: string; status: InboundStatusEvent['status'] };
};

const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** Signs a body the way the loopback peer does. */
export function signLoopback(body: Uint8Array | string, secret: string | KeyObject): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Constant-time check of the body signature; false when either side is missing. */
export function verifyLoopback(
  body: Uint8Array,
  signature: string | null,
  secret: string | KeyObject | undefined,
): boolean {
  // Lowercase hex of the 32-byte digest only; compared as bytes (no hex strings built per request).
  if (!signature || !secret || !HEX_DIGEST.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(signature, 'hex'), expected);
}
