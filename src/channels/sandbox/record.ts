import { DeliveryError } from '../errors.ts';
import type { AdapterContext, OutboundMessage, SendResult } from '../types.ts';

/**
 * Hands one rendered message to the account's outbox and answers with the provider id, as a real send would.
 * The id is derived from our message id, so a retry answers the same id and the outbox keeps one copy.
 */
export async function recordSandboxSend(
  ctx: AdapterContext,
  message: OutboundMessage,
  providerMessageId: string,
  payload: Record<string, unknown>,
): Promise<SendResult> {
  const outbox = ctx.sandboxOutbox;
  if (!outbox) {
    throw new DeliveryError('The sandbox provider has no outbox in this process', {
      code: 'sandbox_unavailable',
      retryable: true,
    });
  }
  await outbox.record({
    messageId: message.messageId,
    agentId: ctx.account.agentId,
    channel: ctx.account.channel,
    providerMessageId,
    payload,
  });
  return { providerMessageId };
}
