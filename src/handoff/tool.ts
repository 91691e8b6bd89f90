import { z } from 'zod';
import type { LlmTool, LlmToolCall } from '../agent/llm/types.ts';
import { HANDOFF_REASON_MAX_CHARS } from './state.ts';

/** The tool an agent with handoff enabled may call to hand the conversation to a human. */
export const HANDOFF_TOOL: LlmTool = {
  name: 'handoff_to_human',
  description:
    'Hand this conversation over to a human operator: call it when the user asks for a person, or when you ' +
    'cannot help. After the call you stop answering; a human continues. You may also write a short message ' +
    'telling the user a person will take over.',
  input: z.object({
    reason: z.string().describe('Why a human should take over, in a few words'),
  }),
};

/** The handoff the model asked for, if it called the tool (reason trimmed and bounded). */
export function handoffRequested(toolCalls: readonly LlmToolCall[]): { reason: string } | undefined {
  const call = toolCalls.find((c) => c.name === HANDOFF_TOOL.name);
  if (!call) return undefined;
  const input = call.input as { reason?: unknown } | null;
  const reason = typeof input?.reason === 'string' ? input.reason.trim() : '';
  return { reason: (reason || 'requested by the agent').slice(0, HANDOFF_REASON_MAX_CHARS) };
}
