import type { OutboundAttachment, ReplyButton } from '../channels/types.ts';
import type { LlmSettings } from '../platform/llm-settings.ts';

/** A message as the agent sees it: which channel it came through matters for the reply's style. */
export type TurnMessage = {
  role: 'user' | 'assistant' | 'system' | 'human';
  content: string;
  channel: string;
  createdAt: string;
};

/** Everything the agent service needs to answer one turn. */
export type TurnInput = {
  agentId: string;
  conversationId: string;
  /** The channel of the latest inbound message: where the reply goes. */
  channel: string;
  /** The unanswered user messages this turn answers together, oldest first. */
  pending: TurnMessage[];
  /** Earlier messages of the conversation, oldest first (the responder trims to its budget). */
  history: TurnMessage[];
  contact: { displayName?: string; username?: string };
};

export type TurnReply = {
  text: string;
  buttons?: ReplyButton[];
  attachments?: OutboundAttachment[];
  usage?: { inputTokens: number; outputTokens: number };
  /** The agent asked for a human (its `handoff_to_human` tool): the conversation goes to handoff with the reply. */
  handoff?: { reason: string };
};

/** What the agent service needs of the agent for a turn (the engine reads it with the turn: no read of its own). */
export type AgentForTurn = {
  status: 'active' | 'inactive';
  systemPrompt: string;
  projectId: string;
  llmSettings: LlmSettings;
  llmKeyId: string | null;
  /** The agent's global channel settings (handoff). */
  settings: Record<string, unknown> | null;
};

export type RespondOptions = {
  /** Called with each piece of the reply as the model produces it (streaming chat). */
  onChunk?: (text: string) => void;
  signal?: AbortSignal;
  /** The agent as read with the turn; without it the responder reads it. */
  agent?: AgentForTurn;
};

/**
 * The agent service: turns a conversation turn into a reply. A `TurnError` is final (recorded on the
 * conversation, not retried); any other error lets the queue retry the turn.
 */
export type AgentResponder = (input: TurnInput, options?: RespondOptions) => Promise<TurnReply>;

/** A turn that cannot be answered (LLM down after retries and fallback, agent inactive…). */
export class TurnError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TurnError';
    this.code = code;
  }
}
