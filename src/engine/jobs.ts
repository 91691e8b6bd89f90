import type { PgBoss } from 'pg-boss';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { jobDbFor } from '../queue/job-queue.ts';
import { deliverConversation } from './delivery.ts';
import type { EngineOptions } from './engine.ts';
import { isBlocked, processInboundBatch } from './inbound.ts';
import { QUEUES, streamKey } from './queues.ts';
import type { AgentResponder } from './responder.ts';
import { INLINE_CHANNELS, type SenderLookup } from './senders.ts';
import { prepareTurn, recordReply } from './turn.ts';

export type JobContext = {
  /** Wakes the workers of a queue now (used when a deferred job comes due, so pickup is not a poll away). */
  wake: (queue: string, afterMs: number) => void;
  database: Database;
  boss: PgBoss;
  logger: Logger;
  responder: AgentResponder;
  senders: SenderLookup;
  options: EngineOptions;
  now: () => Date;
};

/** Rounds of INBOUND_BATCH events one inbound job handles before handing over. */
const INBOUND_ROUNDS = 20;

/** The three job handlers, by queue name. Each is idempotent: the tables say what is left to do. */
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
      const longest = Math.max(0, ...outcome.turns.map((turn) => debounceFor(turn.channel)));
      if (longest > 0) ctx.wake(QUEUES.turn, longest);
      if (outcome.deferred) {
        // Status updates for messages not yet recorded as sent: look again shortly.
        await boss.send(QUEUES.inbound, stream, {
          singletonKey: streamKey(stream.agentId, stream.channel, stream.stream),
          startAfter: 5,
        });
        return;
      }
      if (outcome.count === 0) return;
    }
  };

  const turn = async ({ conversationId }: { conversationId: string }) => {
    const prepared = await prepareTurn(database.query, conversationId);
    if (!prepared) return;
    const { input } = prepared;
    const reply = await ctx.responder(input);
    const inline = INLINE_CHANNELS.has(input.channel);
    const sender = inline ? null : await ctx.senders(input.agentId, input.channel);
    const text = reply.text.trim();
    const parts = text === '' ? [] : (sender?.adapter.splitText?.(text) ?? [text]);
    await database.transaction(async (query) => {
      const blocked = await isBlocked(query, input.agentId, input.channel, prepared.recipient.platformUserId);
      const queued = await recordReply(query, prepared, reply, parts, {
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
    });
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
    }
  };

  return { [QUEUES.inbound]: inbound, [QUEUES.turn]: turn, [QUEUES.deliver]: deliver };
}
