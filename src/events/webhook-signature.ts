import { createHmac, randomBytes } from 'node:crypto';

/** Header names of an event webhook delivery (documented in README "Live events"). */
export const WEBHOOK_HEADERS = {
  event: 'x-switchboard-event',
  eventId: 'x-switchboard-event-id',
  delivery: 'x-switchboard-delivery',
  timestamp: 'x-switchboard-timestamp',
  signature: 'x-switchboard-signature',
} as const;

/** A new signing secret: `whsec_` + 32 random bytes (base64url). The whole string is the HMAC key. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `v1=` + hex HMAC-SHA256(secret, "<timestamp>.<body>"), timestamp in Unix seconds. */
export function signWebhookBody(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
