import type { TurnInput, TurnMessage } from '../engine/responder.ts';
import { channelContextBlock } from './channel-context.ts';
import type { LlmMessage } from './llm/types.ts';

export type Prompt = { system: string; messages: LlmMessage[] };

/**
 * The marker that tells the model which channel an earlier message came through, and that a human operator (not
 * the model) wrote it, so after a handoff the agent knows what was said on its behalf.
 */
const marked = (message: TurnMessage) =>
  `[via ${message.channel}]${message.role === 'human' ? ' [human operator]' : ''} ${message.content}`;

/**
 * System prompt = the agent's own + the channel context block. History = the conversation's earlier
 * messages across all its channels, newest kept first until `historyBudgetChars` is spent, each marked
 * with its channel; then the messages this turn answers (never trimmed).
 */
export function buildPrompt(
  systemPrompt: string,
  input: TurnInput,
  options: { now: Date; historyBudgetChars: number },
): Prompt {
  const context = channelContextBlock({
    channel: input.channel,
    ...(input.contact.displayName ? { displayName: input.contact.displayName } : {}),
    ...(input.contact.username ? { username: input.contact.username } : {}),
    now: options.now,
  });
  const system = systemPrompt.trim() === '' ? context : `${systemPrompt.trim()}\n\n${context}`;

  const kept: LlmMessage[] = [];
  let budget = options.historyBudgetChars;
  for (let i = input.history.length - 1; i >= 0; i--) {
    const message = input.history[i] as TurnMessage;
    if (message.role === 'system' || message.content === '') continue;
    const content = marked(message);
    if (content.length > budget) break;
    budget -= content.length;
    kept.push({ role: message.role === 'user' ? 'user' : 'assistant', content });
  }
  kept.reverse();
  const pending = input.pending.map((m) => m.content).join('\n\n');
  return { system, messages: [...kept, { role: 'user', content: pending }] };
}
