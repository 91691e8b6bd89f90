import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { agents } from '../db/schema.ts';
import { channelConfigs } from '../db/schema-channels.ts';
import { type AgentForTurn, type AgentResponder, TurnError } from '../engine/responder.ts';
import type { Vault } from '../vault/vault.ts';
import { LlmError } from './llm/errors.ts';
import { resolveLlmTargets } from './llm/targets.ts';
import type { LlmClient } from './llm/client.ts';
import { buildPrompt } from './prompt.ts';
import { handoffSettingsOf } from '../handoff/settings.ts';
import { HANDOFF_TOOL, handoffRequested } from '../handoff/tool.ts';
import { extractQuickReplies, quickReplyStream } from './quick-replies.ts';

export type AgentServiceDeps = {
  database: Database;
  vault: Vault;
  llm: LlmClient;
  /** Characters of earlier conversation sent to the model (newest first). */
  historyBudgetChars: number;
  now?: () => Date;
};

/**
 * The agent service: loads the agent, builds its prompt for the turn's channel, asks its LLM (with
 * retries and fallback inside the client) and returns the reply with token usage.
 */
export function createAgentResponder(deps: AgentServiceDeps): AgentResponder {
  const now = deps.now ?? (() => new Date());
  // The agent and its global channel settings (the handoff tool is offered when handoff is on) in one read, a
  // prepared statement: planning it each turn cost more than running it.
  const agentOf = deps.database.db
    .select({ agent: agents, settings: channelConfigs.settings })
    .from(agents)
    .leftJoin(channelConfigs, eq(channelConfigs.agentId, agents.id))
    .where(eq(agents.id, sql.placeholder('agentId')))
    .limit(1)
    .prepare('agent_for_turn');
  const readAgent = async (agentId: string): Promise<AgentForTurn | undefined> => {
    const [row] = await agentOf.execute({ agentId });
    return row && { ...row.agent, settings: row.settings };
  };
  return async (input, options = {}) => {
    const agent = options.agent ?? (await readAgent(input.agentId));
    if (!agent) throw new TurnError('agent_not_found', 'The agent no longer exists');
    if (agent.status !== 'active') throw new TurnError('agent_inactive', 'The agent is inactive');
    let targets;
    try {
      targets = await resolveLlmTargets(deps.database.db, deps.vault, agent);
    } catch (error) {
      throw new TurnError('llm_not_configured', (error as Error).message, { cause: error });
    }
    const prompt = buildPrompt(agent.systemPrompt, input, {
      now: now(),
      historyBudgetChars: deps.historyBudgetChars,
    });
    const offerHandoff = handoffSettingsOf(agent.settings).enabled;
    // A quick-reply marker is held back from the stream and becomes the reply's buttons.
    const stream = options.onChunk ? quickReplyStream(options.onChunk) : undefined;
    try {
      const result = await deps.llm.generate({
        ...targets,
        ...prompt,
        ...(stream ? { onChunk: stream.push } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(offerHandoff ? { tools: [HANDOFF_TOOL] } : {}),
      });
      stream?.end();
      const { text, buttons } = extractQuickReplies(result.text);
      const handoff = handoffRequested(result.toolCalls);
      return { text, usage: result.usage, ...(buttons ? { buttons } : {}), ...(handoff ? { handoff } : {}) };
    } catch (error) {
      if (error instanceof LlmError) throw new TurnError(error.code, error.message, { cause: error });
      throw error;
    }
  };
}
