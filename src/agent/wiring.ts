import type { SessionTokens } from '../auth/sessions.ts';
import { ChatService } from '../chat/chat-service.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { Vault } from '../vault/vault.ts';
import { VisitorTokens } from '../widget/visitor-tokens.ts';
import { createAgentResponder } from './agent-service.ts';
import { createLlmClient, llmClientOptionsFrom } from './llm/client.ts';

/** The agent service and what is built on it: the engine's responder, in-request chat, visitor tokens. */
export function createAgentDeps(deps: {
  config: Config;
  database: Database;
  vault: Vault;
  logger: Logger;
  sessions: SessionTokens;
}) {
  const { config } = deps;
  const llm = createLlmClient(llmClientOptionsFrom(config, deps.logger));
  const responder = createAgentResponder({
    database: deps.database,
    vault: deps.vault,
    llm,
    historyBudgetChars: config.AGENT_HISTORY_CHARS,
  });
  const chats = new ChatService({
    database: deps.database,
    responder,
    inactivityMs: config.CONVERSATION_INACTIVITY * 1000,
  });
  const visitors = new VisitorTokens(
    deps.sessions.derivedKey('switchboard widget visitor tokens v1'),
    config.VISITOR_TOKEN_TTL,
  );
  return { responder, chats, visitors };
}
