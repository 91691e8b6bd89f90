import type { AgentResponder } from './responder.ts';

/**
 * The responder used until an LLM is configured: deterministic, no key needed, and it says so in
 * every reply. (The agent service replaces it with real providers.)
 */
export const devResponder: AgentResponder = async (input) => {
  const said = input.pending.map((m) => m.content).join('\n');
  return {
    text:
      `You said: ${said}\n\n` +
      '(Switchboard dev agent: no LLM is configured. Add an OpenAI or Anthropic key to the project ' +
      "and set the agent's llm_settings to get real answers.)",
    usage: { inputTokens: 0, outputTokens: 0 },
  };
};
