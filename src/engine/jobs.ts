import type { PgBoss } from 'pg-boss';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { jobDbFor } from '../queue/job-queue.ts';
import { deliverConversation } from './delivery.ts';
import type { EngineOptions } from './engine.ts';
import { INBOUND_BATCH, isBlocked, processInboundBatch } from './inbound.ts';
import type { Ingestor } from './ingest.ts';
import { type MailProcessDeps, processRawMail } from './mail-process.ts';
import { QUEUES, streamKey } from './queues.ts';
import { type AgentResponder, TurnError } from './responder.ts';
import { INLINE_CHANNELS, type Sender, type SenderLookup } from './senders.ts';
import { prepareTurn, recordReply, recordTurnFailure, replyParts } from './turn.ts';

export type JobContext = {
  /** Wakes a worker of `queue` in this process after `afterMs` (0 = now): pickup is not a poll away. */
  wake: (queue: string, afterMs: number) => void;
  database: Database;
  boss: PgBoss;
  logger: Logger;
  responder: AgentResponder;
  senders: SenderLookup;
  options: EngineOptions;
  now: () => Date;
  ingestor: Ingestor;
  dnsResolver?: MailProcessDeps['dnsResolver'];
};

/** Seconds before unmatched status updates are looked at again. */
const ORPHAN_RECHECK_S = 5;
/** Rounds of INBOUND_BATCH events one inbound job handles before handing over. */
const INBOUND_ROUNDS = 20;

/** The job handlers, by queue name. Each is idempotent: the tables say what is left to do. */
export function createJobHandlers(ctx: JobContext) {
  const { database, boss, options, now } = ctx;
  const debounceFor = (channel: string) => options.debounceMs[channel] ?? options.defaultDebounceMs;

  const inbound = async (stream: { agentId: string; channel: string; stream: string }) => {
    for (let round = 0; round < INBOUND_ROUNDS; round++) {
      const outcome = await database.transaction(async (query) => {
        const result = await processInboundBatch(query, stream, { inactivityMs: options.inactivityMs, now });
        const turns = result.turns.map((turn) => {
          const delay = debounceFor(turn.channel);
          // No startAfter when there is no debounce: an immediately available job NOTIFYs its workers.
          const startAfter = delay > 0 ? { startAfter: new Date(now().getTime() + delay) } : {};
          return {
            data: { conversationId: turn.conversationId },
            singletonKey: turn.conversationId,
            ...startAfter,
          };
        });
        if (turns.length > 0) await boss.insert(QUEUES.turn, turns, { db: jobDbFor(query) } as never);
        return result;
      });
      for (const delay of new Set(outcome.turns.map((turn) => debounceFor(turn.channel)))) {
        ctx.wake(QUEUES.turn, delay);
      }
      if (outcome.deferred) {
        // Status updates for messages not yet recorded as sent: look again shortly.
        await boss.send(QUEUES.inbound, stream, {
          singletonKey: streamKey(stream.agentId, stream.channel, stream.stream),
          startAfter: ORPHAN_RECHECK_S,
        });
        ctx.wake(QUEUES.inbound, ORPHAN_RECHECK_S * 1000);
        return;
      }
      // A shorter batch drained the stream; later events brought their own job.
      if (outcome.count < INBOUND_BATCH) return;
    }
  };

  const turn = async ({ conversationId }: { conversationId: string }) => {
    const prepared = await prepareTurn(database.query, conversationId);
    if (!prepared) return;
    const { input } = prepared;
    const inline = INLINE_CHANNELS.has(input.channel);
    const sender = inline ? null : await ctx.senders(input.agentId, input.channel);
    // The typing indicator runs while the agent thinks; the reply itself ends it on the user's screen.
    const stopTyping = await startTyping(ctx, sender, input, prepared.recipient);
    let reply: Awaited<ReturnType<AgentResponder>>;
    try {
      reply = await ctx.responder(input);
    } catch (error) {
      if (!(error instanceof TurnError)) throw error;
      ctx.logger.warn({ conversationId, code: error.code }, 'turn failed; recorded on the conversation');
      await database.transaction((query) => recordTurnFailure(query, prepared, error, now()));
      return;
    } finally {
      stopTyping();
    }
    const parts = replyParts(reply, sender?.adapter);
    const queued = await database.transaction(async (query) => {
      const blocked = await isBlocked(query, input.agentId, input.channel, prepared.recipient.platformUserId);
      const { queued } = await recordReply(query, prepared, reply, parts, {
        now: now(),
        deliveredInline: inline,
        blocked,
      });
      if (queued > 0) {
        await boss.send(
          QUEUES.deliver,
          { conversationId },
          { singletonKey: conversationId, db: jobDbFor(query) },
        );
      }
      return queued;
    });
    if (queued > 0) ctx.wake(QUEUES.deliver, 0);
  };

  const deliver = async ({ conversationId }: { conversationId: string }) => {
    const outcome = await deliverConversation(
      { database, senders: ctx.senders, logger: ctx.logger, policy: options.retry, now },
      conversationId,
    );
    if (outcome.retryAt) {
      await boss.send(
        QUEUES.deliver,
        { conversationId },
        { singletonKey: conversationId, startAfter: outcome.retryAt },
      );
      ctx.wake(QUEUES.deliver, outcome.retryAt.getTime() - now().getTime());
    }
  };

  const mail = ({ rawMailId }: { rawMailId: string }) => processRawMail(ctx, rawMailId);

  return { [QUEUES.inbound]: inbound, [QUEUES.turn]: turn, [QUEUES.deliver]: deliver, [QUEUES.mail]: mail };
}

/** How often the typing indicator is repeated while a turn runs (Telegram shows it for about 5 s). */
export const TYPING_REPEAT_MS = 4000;

/**
 * Shows the adapter's typing indicator now and every TYPING_REPEAT_MS until the returned stop is called.
 * Best effort: failures are logged at debug and never fail the turn; blocked contacts get nothing.
 */
async function startTyping(
  ctx: JobContext,
  sender: Sender | null,
  input: { agentId: string; channel: string },
  recipient: { platformUserId: string; chatId: string },
): Promise<() => void> {
  const typing = sender?.adapter.typing;
  if (!sender || !typing) return () => {};
  if (await isBlocked(ctx.database.query, input.agentId, input.channel, recipient.platformUserId)) {
    return () => {};
  }
  const show = () => {
    typing.call(sender.adapter, recipient, sender.ctx).catch((err: unknown) => {
      ctx.logger.debug({ err, channel: input.channel }, 'typing indicator failed');
    });
  };
  show();
  const timer = setInterval(show, TYPING_REPEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}
