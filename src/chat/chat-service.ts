import type { ChannelName, ReplyButton } from '../channels/types.ts';
import type { VerifiedAttributes } from '../contacts/verified-attributes.ts';
import type { Database, SqlRunner } from '../db/client.ts';
import type { ChannelHistoryEntry } from '../db/schema-conversations.ts';
import { openConversation, resolveIdentity } from '../engine/conversation-store.ts';
import { insertUserMessage } from '../engine/inbound.ts';
import { type AgentResponder, TurnError } from '../engine/responder.ts';
import { recordReply } from '../engine/record-reply.ts';
import { prepareTurn, recordTurnFailure, replyParts } from '../engine/turn.ts';
import { inHandoffError } from '../handoff/state.ts';
import { gateTurn } from '../handoff/turn-gate.ts';
import { ApiError, conflict, notFound } from '../http/errors.ts';
import { newId } from '../ids.ts';
import { observeTurn } from '../metrics/metrics.ts';
import { ConversationLease, type LeaseOptions } from './conversation-lease.ts';
import { KeyedLock } from './keyed-lock.ts';

export type ChatInput = {
  agentId: string;
  channel: ChannelName;
  message: string;
  /** The person's id on this channel (API: user_identifier; widget: visitor id). */
  platformUserId: string;
  /** What API clients see as the conversation's user_identifier. */
  userIdentifier: string;
  /** Continue this conversation (it must belong to the agent and, for visitors, to them). */
  conversationId?: string;
  /** An email or phone the host site vouched for (widget identity verification): links the contact. */
  verified?: VerifiedAttributes;
  onChunk?: (text: string) => void;
  signal?: AbortSignal;
};

export type TokenUsage = { input_tokens: number; output_tokens: number; total_tokens: number };
export type ChatResult = {
  conversationId: string;
  response: string;
  tokenUsage: TokenUsage;
  /** Quick-reply buttons the agent offered with this reply. */
  buttons?: ReplyButton[];
};

type ConversationRow = { id: string; status: string; channel_history: ChannelHistoryEntry[] };

const usageOf = (input: number, output: number): TokenUsage => ({
  input_tokens: input,
  output_tokens: output,
  total_tokens: input + output,
});

/**
 * Chat answered in the request (authenticated chat API and the public widget API): the user message
 * is stored like any inbound message, the turn runs at once (one at a time per conversation, across
 * processes), and the reply is stored as delivered — the HTTP response is its delivery.
 */
export class ChatService {
  private readonly locks = new KeyedLock();
  private readonly lease: ConversationLease;
  private readonly database: Database;
  private readonly responder: AgentResponder;
  private readonly inactivityMs: number;
  private readonly now: () => Date;

  constructor(deps: {
    database: Database;
    responder: AgentResponder;
    inactivityMs: number;
    now?: () => Date;
    lease?: LeaseOptions;
  }) {
    this.database = deps.database;
    this.lease = new ConversationLease(deps.database, deps.lease);
    this.responder = deps.responder;
    this.inactivityMs = deps.inactivityMs;
    this.now = deps.now ?? (() => new Date());
  }

  async send(input: ChatInput): Promise<ChatResult> {
    const { conversationId, messageId } = await this.database.transaction((query) =>
      this.recordMessage(query, input),
    );
    // In this process one waiter at a time per conversation; across processes, the lease on the row.
    return this.locks.run(conversationId, () =>
      this.lease.run(conversationId, () => this.answer(input, conversationId, messageId), input.signal),
    );
  }

  private async recordMessage(query: SqlRunner, input: ChatInput) {
    const now = this.now();
    const event = {
      kind: 'message' as const,
      eventId: newId('evt'),
      sender: { platformUserId: input.platformUserId, chatId: input.platformUserId, ...input.verified },
      text: input.message,
    };
    let conversation: ConversationRow;
    if (input.conversationId) {
      const rows = await query<ConversationRow>(
        `select id, status, channel_history from conversations where id = $1 and agent_id = $2 for update`,
        [input.conversationId, input.agentId],
      );
      if (!rows[0]) throw notFound('Conversation');
      if (rows[0].status !== 'active')
        throw conflict('Conversation is closed; omit conversation_id to start a new one');
      conversation = rows[0];
    } else {
      const identity = await resolveIdentity(query, input.agentId, input.channel, event, now);
      conversation = {
        ...(await openConversation(query, {
          agentId: input.agentId,
          contactId: identity.contactId,
          userIdentifier: input.userIdentifier,
          now,
          inactivityMs: this.inactivityMs,
          active: identity.active,
        })),
        status: 'active',
      };
    }
    const messageId = await insertUserMessage(query, {
      agentId: input.agentId,
      channel: input.channel,
      conversation,
      event,
      now,
      inline: true,
    });
    if (!messageId) throw new Error('chat message was not stored');
    return { conversationId: conversation.id, messageId };
  }

  private async answer(input: ChatInput, conversationId: string, messageId: string): Promise<ChatResult> {
    const prepared = await prepareTurn(this.database.query, conversationId);
    // A turn that ran while this request waited for the lock already answered this message.
    if (!prepared || !prepared.pendingIds.includes(messageId))
      return this.existingReply(conversationId, messageId);
    // A human owns the conversation (or a keyword just handed it over): stored, not answered by the agent.
    if (!(await gateTurn(this.database, prepared, this.now()))) {
      throw inHandoffError();
    }
    let reply;
    const started = performance.now();
    try {
      reply = await this.responder(prepared.input, {
        ...(input.onChunk ? { onChunk: input.onChunk } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
      });
      observeTurn(input.channel, 'ok', started);
    } catch (error) {
      observeTurn(input.channel, error instanceof TurnError ? error.code : 'error', started);
      if (!(error instanceof TurnError)) throw error;
      await this.database.transaction((query) => recordTurnFailure(query, prepared, error, this.now()));
      throw turnFailed(error);
    }
    const text = reply.text.trim();
    const { recorded, handoff } = await recordReply(this.database, prepared, reply, replyParts(reply), {
      now: this.now(),
      deliveredInline: true,
    });
    if (handoff) throw inHandoffError();
    // Another runner (an engine turn, another process) answered first: return what was stored, not our text.
    if (!recorded) return this.existingReply(conversationId, messageId);
    const usage = reply.usage ?? { inputTokens: 0, outputTokens: 0 };
    return {
      conversationId,
      response: text,
      tokenUsage: usageOf(usage.inputTokens, usage.outputTokens),
      ...(reply.buttons?.length ? { buttons: reply.buttons } : {}),
    };
  }

  /** The reply stored for `messageId`: every part of the first reply written after it, and nothing later. */
  private async existingReply(conversationId: string, messageId: string): Promise<ChatResult> {
    const rows = await this.database.query<{
      content: string;
      status: string;
      error_code: string | null;
      error_message: string | null;
      input_tokens: number | null;
      output_tokens: number | null;
      buttons: ReplyButton[] | null;
    }>(
      `select content, status, error_code, error_message, input_tokens, output_tokens, buttons from messages
       where conversation_id = $1 and direction = 'outbound' and reply_to = (
         select reply_to from messages
         where conversation_id = $1 and direction = 'outbound'
           and seq > (select seq from messages where id = $2)
         order by seq limit 1)
       order by part`,
      [conversationId, messageId],
    );
    const first = rows[0];
    const buttons = rows.at(-1)?.buttons;
    if (!first) throw new ApiError(502, 'The agent did not answer; send the message again');
    if (first.status === 'failed')
      throw turnFailed(new TurnError(first.error_code ?? 'failed', first.error_message ?? ''));
    return {
      conversationId,
      response: rows.map((row) => row.content).join('\n\n'),
      tokenUsage: usageOf(first.input_tokens ?? 0, first.output_tokens ?? 0),
      ...(buttons?.length ? { buttons } : {}),
    };
  }
}

/** The HTTP error for a turn that could not be answered. */
export function turnFailed(error: TurnError): ApiError {
  if (error.code === 'agent_inactive') return conflict('The agent is inactive');
  return new ApiError(502, `The agent could not answer: ${error.message}`, { code: error.code });
}
