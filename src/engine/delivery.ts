import { DeliveryError } from '../channels/errors.ts';
import type { OutboundAttachment, OutboundMessage, ReplyButton, SendResult } from '../channels/types.ts';
import { WINDOW_CHANNEL, windowOpen } from '../channels/whatsapp/window.ts';
import type { StoredTemplate } from '../db/schema-conversations.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { deliveries } from '../metrics/metrics.ts';
import { blockedSql, markBlocked } from './blocking.ts';
import type { Sender, SenderLookup } from './senders.ts';
import { contactWindow, holdForWindow, OUTSIDE_WINDOW, reengagementOf } from './window-hold.ts';
import { publishEventsIf } from '../events/publish.ts';

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

export type QueuedRow = {
  id: string;
  conversation_id: string;
  agent_id: string;
  channel: string;
  content: string;
  recipient: { platformUserId: string; chatId: string };
  buttons: ReplyButton[] | null;
  attachments: OutboundAttachment[];
  template: StoredTemplate | null;
  attempts: number;
  next_attempt_at: Date | null;
  channel_metadata: Record<string, unknown> | null;
  role: string;
};

export type DeliveryDeps = {
  database: Database;
  senders: SenderLookup;
  logger: Logger;
  policy: RetryPolicy;
  now: () => Date;
  /** Told when a retried send succeeded: the provider is back, so the account's other backoffs can end now. */
  onRecovered?: (message: { agent_id: string; channel: string; conversation_id: string }) => Promise<void>;
};

/** An attempt that held its message for WhatsApp's window (and may have queued a template behind it). */
const HELD = 'held';

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
  /** The queued messages, in order, when the caller just wrote them (recordReply's `ready`): not read again. */
  ready?: QueuedRow[],
): Promise<DeliveryOutcome> {
  const { database } = deps;
  for (let sent = 0; sent < DELIVERY_BATCH; sent++) {
    // The next two queued messages: a second one says whether to look again after this one. (A message queued
    // by someone else later brings a delivery job of its own, which runs after this one.)
    const [message, next] =
      sent === 0 && ready
        ? ready.map((row) => ({ ...row, blocked: false }))
        : await database.query<QueuedRow & { blocked: boolean }>(
            `select m.id, m.conversation_id, m.agent_id, m.channel, m.content, m.recipient, m.buttons, m.attachments,
                    m.template, m.attempts, m.next_attempt_at, m.role,
                    (select channel_metadata from conversations where id = $1) as channel_metadata,
                    ${blockedSql('m.agent_id', 'm.channel', "m.recipient ->> 'platformUserId'")} as blocked
             from messages m where m.conversation_id = $1 and m.direction = 'outbound' and m.status = 'queued'
             order by m.seq limit 2`,
            [conversationId],
          );
    if (!message) return {};
    if (message.next_attempt_at && new Date(message.next_attempt_at) > deps.now()) {
      return { retryAt: new Date(message.next_attempt_at) };
    }
    if (message.blocked) {
      await markFailed(database, message, 'recipient_blocked', 'The recipient blocked this sender');
    } else {
      const outcome = await attempt(deps, conversationId, message);
      // A window hold queues its re-engagement template in this conversation: look again for it.
      if (outcome === HELD) continue;
      if (outcome) return outcome;
    }
    if (!next) return {};
  }
  return { retryAt: deps.now() };
}

async function attempt(
  deps: DeliveryDeps,
  conversationId: string,
  message: QueuedRow,
): Promise<DeliveryOutcome | typeof HELD | undefined> {
  const { database, logger } = deps;
  const sender = await deps.senders(message.agent_id, message.channel, message.recipient?.platformUserId);
  const send = sender && sendFunction(sender, message, conversationId);
  if (!sender || !send) {
    const [code, reason] = message.template
      ? ['templates_unsupported', `The ${message.channel} channel's provider cannot send template messages`]
      : ['channel_not_configured', `The ${message.channel} channel is not configured for sending`];
    deliveries.inc({
      channel: message.channel,
      provider: sender?.ctx.account.provider ?? 'none',
      outcome: 'failed',
    });
    await markFailed(database, message, code, reason);
    return undefined;
  }
  // A free-form reply outside WhatsApp's 24-hour window is never attempted blindly.
  if (!message.template && message.channel === WINDOW_CHANNEL) {
    const window = await contactWindow(
      database.query,
      message.agent_id,
      message.channel,
      message.recipient.platformUserId,
    );
    if (!windowOpen(window.lastInboundAt, deps.now())) {
      await database.transaction((query) =>
        holdForWindow(query, message, reengagementOf(sender), deps.now()),
      );
      return HELD;
    }
  }
  const attemptNumber = message.attempts + 1;
  const labels = { channel: message.channel, provider: sender.ctx.account.provider };
  // The embedded database: the reply is on disk before it leaves, so a power loss cannot make it be written again.
  await database.durability?.syncWal();
  try {
    const result = await send();
    await publishEventsIf(
      database.query,
      {
        sql: `update messages set status = 'sent', provider_message_id = $2, sent_at = now(), attempts = $3,
                     next_attempt_at = null, updated_at = now()
              where id = $1 and status = 'queued' returning id`,
        params: [message.id, result.providerMessageId, attemptNumber],
      },
      [statusEvent(message, 'sent')],
    );
    deliveries.inc({ ...labels, outcome: 'sent' });
    if (message.attempts > 0 && deps.onRecovered) {
      await deps.onRecovered(message).catch((error: unknown) => {
        logger.warn({ err: error, channel: message.channel }, 'releasing backed-off deliveries failed');
      });
    }
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
    if (failure.code === OUTSIDE_WINDOW && !message.template) {
      await database.transaction((query) =>
        holdForWindow(query, message, reengagementOf(sender), deps.now()),
      );
      return HELD;
    }
    if (failure.retryable && attemptNumber < deps.policy.maxAttempts) {
      deliveries.inc({ ...labels, outcome: 'retry' });
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
    deliveries.inc({ ...labels, outcome: 'failed' });
    await markFailed(database, message, failure.code, failure.message, attemptNumber);
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

/** The adapter call that sends this message (template or free-form); undefined when the adapter has none. */
function sendFunction(
  sender: Sender,
  message: QueuedRow,
  conversationId: string,
): (() => Promise<SendResult>) | undefined {
  const { adapter, ctx } = sender;
  const common = {
    messageId: message.id,
    idempotencyKey: message.id,
    conversationId,
    recipient: message.recipient,
  };
  if (message.template) {
    const template = message.template;
    return adapter.sendTemplate && (() => adapter.sendTemplate!({ ...common, template }, ctx));
  }
  const outbound: OutboundMessage = {
    ...common,
    text: message.content,
    ...(message.buttons ? { buttons: message.buttons } : {}),
    ...(message.attachments.length > 0 ? { attachments: message.attachments } : {}),
    ...(message.channel_metadata ? { channelMetadata: message.channel_metadata } : {}),
    ...(message.role === 'human' ? { author: 'human' as const } : {}),
  };
  return adapter.send && (() => adapter.send!(outbound, ctx));
}

/** The message.status event of an outbound message. */
function statusEvent(message: QueuedRow, status: string, code?: string) {
  return {
    agentId: message.agent_id,
    type: 'message.status' as const,
    conversationId: message.conversation_id,
    messageId: message.id,
    data: { status, channel: message.channel, ...(code ? { code } : {}) },
  };
}

async function markFailed(
  database: Database,
  message: QueuedRow,
  code: string,
  reason: string,
  attempts?: number,
) {
  await publishEventsIf(
    database.query,
    {
      sql: `update messages set status = 'failed', error_code = $2, error_message = $3,
                   attempts = coalesce($4::int, attempts), next_attempt_at = null, updated_at = now()
            where id = $1 and status = 'queued' returning id`,
      params: [message.id, code, reason.slice(0, 1000), attempts ?? null],
    },
    [statusEvent(message, 'failed', code)],
  );
}
