import { DeliveryError } from '../channels/errors.ts';
import type { OutboundAttachment, OutboundMessage, ReplyButton } from '../channels/types.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { isBlocked, markBlocked } from './inbound.ts';
import type { SenderLookup } from './senders.ts';

export type RetryPolicy = { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 5 * 60_000 };
/** Messages sent per delivery job before it hands over to a fresh one. */
const DELIVERY_BATCH = 50;

/** Exponential backoff with full jitter in [delay/2, delay], never below the provider's retry-after. */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs = 0,
  random = Math.random,
): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential / 2 + (exponential / 2) * random();
  return Math.ceil(Math.max(jittered, retryAfterMs));
}

type QueuedRow = {
  id: string;
  agent_id: string;
  channel: string;
  content: string;
  recipient: { platformUserId: string; chatId: string };
  buttons: ReplyButton[] | null;
  attachments: OutboundAttachment[];
  attempts: number;
  next_attempt_at: Date | null;
  channel_metadata: Record<string, unknown> | null;
};

export type DeliveryDeps = {
  database: Database;
  senders: SenderLookup;
  logger: Logger;
  policy: RetryPolicy;
  now: () => Date;
};

/** What the delivery job asks for next: nothing, or another run not before `at`. */
export type DeliveryOutcome = { retryAt?: Date };

/**
 * Sends a conversation's queued outbound messages strictly in order. A retryable failure stops the
 * run and asks to come back later (later messages wait behind it); a permanent one marks the
 * message failed — never to be resent — and moves on.
 */
export async function deliverConversation(
  deps: DeliveryDeps,
  conversationId: string,
): Promise<DeliveryOutcome> {
  const { database } = deps;
  for (let sent = 0; sent < DELIVERY_BATCH; sent++) {
    const message = (
      await database.query<QueuedRow>(
        `select id, agent_id, channel, content, recipient, buttons, attachments, attempts, next_attempt_at,
                (select channel_metadata from conversations where id = $1) as channel_metadata
         from messages where conversation_id = $1 and direction = 'outbound' and status = 'queued'
         order by seq limit 1`,
        [conversationId],
      )
    )[0];
    if (!message) return {};
    if (message.next_attempt_at && new Date(message.next_attempt_at) > deps.now()) {
      return { retryAt: new Date(message.next_attempt_at) };
    }
    if (
      await isBlocked(database.query, message.agent_id, message.channel, message.recipient.platformUserId)
    ) {
      await markFailed(database, message.id, 'recipient_blocked', 'The recipient blocked this sender');
      continue;
    }
    const outcome = await attempt(deps, conversationId, message);
    if (outcome) return outcome;
  }
  return { retryAt: deps.now() };
}

async function attempt(
  deps: DeliveryDeps,
  conversationId: string,
  message: QueuedRow,
): Promise<DeliveryOutcome | undefined> {
  const { database, logger } = deps;
  const sender = await deps.senders(message.agent_id, message.channel);
  if (!sender?.adapter.send) {
    await markFailed(
      database,
      message.id,
      'channel_not_configured',
      `The ${message.channel} channel is not configured for sending`,
    );
    return undefined;
  }
  const outbound: OutboundMessage = {
    messageId: message.id,
    idempotencyKey: message.id,
    conversationId,
    recipient: message.recipient,
    text: message.content,
    ...(message.buttons ? { buttons: message.buttons } : {}),
    ...(message.attachments.length > 0 ? { attachments: message.attachments } : {}),
    ...(message.channel_metadata ? { channelMetadata: message.channel_metadata } : {}),
  };
  const attemptNumber = message.attempts + 1;
  try {
    const result = await sender.adapter.send(outbound, sender.ctx);
    await database.query(
      `update messages set status = 'sent', provider_message_id = $2, sent_at = now(), attempts = $3,
              next_attempt_at = null, updated_at = now()
       where id = $1 and status = 'queued'`,
      [message.id, result.providerMessageId, attemptNumber],
    );
    return undefined;
  } catch (error) {
    const failure =
      error instanceof DeliveryError
        ? error
        : new DeliveryError(error instanceof Error ? error.message : String(error), {
            code: 'network_error',
            retryable: true,
            cause: error,
          });
    logger.warn(
      { messageId: message.id, channel: message.channel, code: failure.code, attempt: attemptNumber },
      'outbound delivery failed',
    );
    if (failure.retryable && attemptNumber < deps.policy.maxAttempts) {
      const retryAt = new Date(
        deps.now().getTime() + retryDelayMs(deps.policy, attemptNumber, failure.retryAfterMs),
      );
      await database.query(
        `update messages set attempts = $2, next_attempt_at = $3, error_code = $4, error_message = $5,
                updated_at = now()
         where id = $1`,
        [message.id, attemptNumber, retryAt, failure.code, failure.message],
      );
      return { retryAt };
    }
    await markFailed(database, message.id, failure.code, failure.message, attemptNumber);
    if (failure.blocked) {
      await markBlocked(
        database.query,
        message.agent_id,
        message.channel,
        message.recipient.platformUserId,
        true,
      );
    }
    return undefined;
  }
}

async function markFailed(database: Database, id: string, code: string, reason: string, attempts?: number) {
  await database.query(
    `update messages set status = 'failed', error_code = $2, error_message = $3,
            attempts = coalesce($4, attempts), next_attempt_at = null, updated_at = now()
     where id = $1 and status = 'queued'`,
    [id, code, reason.slice(0, 1000), attempts ?? null],
  );
}
