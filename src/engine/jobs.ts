import type { PgBoss } from 'pg-boss';
import type { TypingRecipient } from '../channels/types.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { observeTurn } from '../metrics/metrics.ts';
import { deliverConversation, type QueuedRow } from './delivery.ts';
import { DeliveryRelease } from './delivery-release.ts';
import type { EngineOptions } from './engine.ts';
import { WINDOW_CHANNEL } from '../channels/whatsapp/window.ts';
import {
  type InboundOutcome,
  type InboundStream,
  INBOUND_BATCH,
  inboundBatchSize,
  nextRetry,
  processInboundStreams,
  type StreamOutcome,
  type StreamWork,
} from './inbound.ts';
import { GroupCommit } from './group-commit.ts';
import { capturedJobInsert } from './job-rider.ts';
import { DEFAULT_ECHO_QUIET_MINUTES, quietAfterEcho } from './identity-events.ts';
import type { Ingestor } from './ingest.ts';
import { type MailProcessDeps, processRawMail } from './mail-process.ts';
import { QUEUES, streamKey } from './queues.ts';
import { isStatusStream } from './statuses.ts';
import { type AgentResponder, TurnError } from './responder.ts';
import { INLINE_CHANNELS, type Sender, type SenderLookup } from './senders.ts';
import { reengagementOf } from './window-hold.ts';
import { recordReply } from './record-reply.ts';
import { prepareTurn, recordTurnFailure, replyParts } from './turn.ts';
import { gateTurn } from '../handoff/turn-gate.ts';
import { leavePendingToHuman } from '../handoff/state.ts';

export type JobContext = {
  /**
   * Wakes a worker of `queue` in this process after `afterMs` (0 = now): pickup is not a poll away. `inserted`:
   * a job was just inserted due now, whose insert NOTIFYs where the queue does (then this adds nothing).
   */
  wake: (queue: string, afterMs: number, inserted?: boolean) => void;
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

/** The platform user id of a sender stream (`user:<id>`); undefined for a status stream. */
const userOfStream = (stream: string) => (stream.startsWith('user:') ? stream.slice(5) : undefined);

/** Rounds of batches (inboundBatchSize) one inbound job handles before handing over. */
const INBOUND_ROUNDS = 20;
/** Events (as many as the streams may bring) sharing one transaction at most, and such transactions at once. */
const INBOUND_GROUP_EVENTS = 32 * INBOUND_BATCH;
const INBOUND_GROUP_CONCURRENCY = 2;

/**
 * Job delay in seconds from now until `at` on the engine's clock. pg-boss counts it from the database's
 * clock, so an injected clock (tests moving time forward) never pushes jobs into the far future.
 */
export function secondsUntil(now: Date, at: Date): number {
  return Math.max(0, (at.getTime() - now.getTime()) / 1000);
}

/** The job handlers, by queue name. Each is idempotent: the tables say what is left to do. */
export function createJobHandlers(ctx: JobContext) {
  const { database, boss, options, now } = ctx;
  const debounceFor = (channel: string) => options.debounceMs[channel] ?? options.defaultDebounceMs;

  // Streams due together share a transaction: the jobs of a fetch, and of the process's other slots, while
  // the previous transaction ran (no timer). A failed group is retried stream by stream.
  const inboundGroup = new GroupCommit<StreamWork, StreamOutcome>({
    commit: (work) =>
      database.transaction((query) =>
        processInboundStreams(query, work, {
          inactivityMs: options.inactivityMs,
          now,
          jobs: async (result) => {
            const jobs = conversationJobs(result);
            return jobs.length > 0 ? capturedJobInsert(boss, QUEUES.conversation, jobs) : undefined;
          },
        }),
      ),
    keysOf: (work) => [streamKey(work.agentId, work.channel, work.stream)],
    // Counted in events a stream may bring: 32 senders' streams, or one account's statuses, per transaction.
    sizeOf: (work) => inboundBatchSize(work.stream),
    maxBatch: INBOUND_GROUP_EVENTS,
    concurrency: INBOUND_GROUP_CONCURRENCY,
  });

  const inbound = async (stream: InboundStream) => {
    const reengagement =
      stream.channel === WINDOW_CHANNEL
        ? reengagementOf(await ctx.senders(stream.agentId, stream.channel, userOfStream(stream.stream)))
        : null;
    let drained = false;
    for (let round = 0; round < INBOUND_ROUNDS && !drained; round++) {
      const outcome = await inboundGroup.submit({ ...stream, reengagement });
      for (const delay of new Set(outcome.turns.map((turn) => debounceFor(turn.channel)))) {
        ctx.wake(QUEUES.conversation, delay, true);
      }
      if (outcome.deliveries.length > 0) ctx.wake(QUEUES.conversation, 0, true);
      // A shorter batch drained the stream; later events brought their own job.
      drained = outcome.count < inboundBatchSize(stream.stream);
    }
    if (!drained) {
      await boss.send(QUEUES.inbound, stream, {
        singletonKey: streamKey(stream.agentId, stream.channel, stream.stream),
      });
      ctx.wake(QUEUES.inbound, 0, true);
    }
    // Statuses waiting for their message: a job of their own looks again when the earliest is due (this run's
    // or an earlier one's). Its key names the due second, so it never absorbs (and delays) the trigger newer
    // statuses bring, nor a retry due sooner.
    const retryAt = isStatusStream(stream.stream) ? await nextRetry(database.query, stream) : undefined;
    if (retryAt) {
      const seconds = secondsUntil(now(), retryAt);
      const dueSecond = Math.ceil(retryAt.getTime() / 1000);
      await boss.send(QUEUES.inbound, stream, {
        singletonKey: `${streamKey(stream.agentId, stream.channel, stream.stream)}|retry|${dueSecond}`,
        startAfter: Math.max(seconds, 0.001),
      });
      ctx.wake(QUEUES.inbound, seconds * 1000);
    }
  };

  /** The conversation jobs an inbound batch's outcome calls for: its turns (debounced) and its deliveries (now). */
  const conversationJobs = (result: InboundOutcome) => {
    const turns = result.turns.map((turn) => {
      const delay = debounceFor(turn.channel) / 1000;
      // No startAfter when there is no debounce: an immediately available job NOTIFYs its workers.
      return {
        data: { conversationId: turn.conversationId },
        singletonKey: turn.conversationId,
        ...(delay > 0 ? { startAfter: String(delay) } : {}),
      };
    });
    // Deliveries first: a conversation with both is due now, and its job runs the turn when that is due.
    const deliveries = result.deliveries.map((id) => ({ data: { conversationId: id }, singletonKey: id }));
    return [...deliveries, ...turns.filter((t) => !result.deliveries.includes(t.singletonKey))];
  };

  /**
   * Runs the agent on the conversation's unanswered messages once their debounce has passed; else says when
   * (`dueAt`). `ready`: what the written reply left to send, when known (recordReply).
   */
  const turn = async (conversationId: string): Promise<{ dueAt?: Date; ready?: QueuedRow[] }> => {
    const prepared = await prepareTurn(database.query, conversationId);
    if (!prepared) return {};
    const { input } = prepared;
    // Due a debounce after the first unanswered message: a burst is answered together, however the job came.
    const dueAt = new Date(prepared.firstPendingAt.getTime() + debounceFor(input.channel));
    if (dueAt > now()) return { dueAt };
    // A human owns the conversation (or a keyword just handed it over): the agent stays silent.
    if (!(await gateTurn(database, prepared, now()))) return {};
    const inline = INLINE_CHANNELS.has(input.channel);
    const sender = inline
      ? null
      : await ctx.senders(input.agentId, input.channel, prepared.recipient.platformUserId);
    if (sender && quietAfterEcho(prepared.lastEchoAt, quietMinutes(sender), now())) {
      // A human is answering from another client: the agent leaves these messages to them.
      await leavePendingToHuman(database.query, input.conversationId, prepared.pendingIds, now());
      return {};
    }
    // The typing indicator runs while the agent thinks; the reply itself ends it on the user's screen.
    const stopTyping = startTyping(ctx, prepared.blocked ? null : sender, input, {
      ...prepared.recipient,
      ...(prepared.latestProviderMessageId ? { inReplyTo: prepared.latestProviderMessageId } : {}),
    });
    let reply: Awaited<ReturnType<AgentResponder>>;
    const started = performance.now();
    try {
      reply = await ctx.responder(input, { agent: prepared.agent });
      observeTurn(input.channel, 'ok', started);
    } catch (error) {
      observeTurn(input.channel, error instanceof TurnError ? error.code : 'error', started);
      if (!(error instanceof TurnError)) throw error;
      ctx.logger.warn({ conversationId, code: error.code }, 'turn failed; recorded on the conversation');
      await database.transaction((query) => recordTurnFailure(query, prepared, error, now()));
      return {};
    } finally {
      stopTyping();
    }
    const parts = replyParts(reply, sender?.adapter);
    const { ready } = await recordReply(database, prepared, reply, parts, {
      now: now(),
      deliveredInline: inline,
    });
    return ready ? { ready } : {};
  };

  const release = new DeliveryRelease(database, boss, () => ctx.wake(QUEUES.conversation, 0));
  const deliver = (conversationId: string, ready?: QueuedRow[]) =>
    deliverConversation(
      {
        database,
        senders: ctx.senders,
        logger: ctx.logger,
        policy: options.retry,
        now,
        onRecovered: (message) =>
          release.recovered(message.agent_id, message.channel, message.conversation_id, now()),
      },
      conversationId,
      ready,
    );

  // The turn, when due, then the queued replies (its own among them) in order; a later turn or a send retry is
  // this conversation's next job. A crash between the two leaves this job active: its retry sends what is queued.
  const conversation = async ({ conversationId }: { conversationId: string }) => {
    const { dueAt, ready } = await turn(conversationId);
    const { retryAt } = await deliver(conversationId, ready);
    const next = [dueAt, retryAt]
      .filter((at) => at !== undefined)
      .sort((a, b) => a.getTime() - b.getTime())[0];
    if (next) {
      const seconds = secondsUntil(now(), next);
      await boss.send(
        QUEUES.conversation,
        { conversationId },
        { singletonKey: conversationId, ...(seconds > 0 ? { startAfter: seconds } : {}) },
      );
      ctx.wake(QUEUES.conversation, seconds * 1000, true);
    }
  };

  const mail = ({ rawMailId }: { rawMailId: string }) => processRawMail(ctx, rawMailId);

  return { [QUEUES.inbound]: inbound, [QUEUES.conversation]: conversation, [QUEUES.mail]: mail };
}

/** The channel's `echo_quiet_minutes` setting, or the default. */
function quietMinutes(sender: Sender): number {
  const value = sender.ctx.account.settings.echo_quiet_minutes;
  return typeof value === 'number' ? value : DEFAULT_ECHO_QUIET_MINUTES;
}

/** How often the typing indicator is repeated while a turn runs (Telegram shows it for about 5 s). */
export const TYPING_REPEAT_MS = 4000;

/**
 * Shows the adapter's typing indicator now and every TYPING_REPEAT_MS until the returned stop is called.
 * Best effort: failures are logged at debug and never fail the turn. No sender (a blocked contact): nothing.
 */
function startTyping(
  ctx: JobContext,
  sender: Sender | null,
  input: { channel: string },
  recipient: TypingRecipient,
): () => void {
  const typing = sender?.adapter.typing;
  if (!sender || !typing) return () => {};
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
