import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAgentResponder } from '../../src/agent/agent-service.ts';
import { createLlmClient } from '../../src/agent/llm/client.ts';
import { TurnError } from '../../src/engine/responder.ts';
import { prepareTurn } from '../../src/engine/turn.ts';
import { newId } from '../../src/ids.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.ts';
import { createWorkspace, useFakeLlm, type Workspace } from '../helpers/fixtures.ts';

/** The engine reads the agent with the turn (prepareTurn) and the responder answers from that, reading nothing. */
let app: TestApp;
let llm: FakeLlm;
let ws: Workspace;

beforeAll(async () => {
  app = await startTestApp();
  llm = await startFakeLlm();
  ws = await createWorkspace(app, 'agent-turn');
  await useFakeLlm(app, ws, llm.url, { system_prompt: 'You are the turn agent.' });
});
afterAll(async () => {
  await app?.close();
  await llm?.close();
});

it('answers from the agent read with the turn; without it the responder reads the agent (inactive: refused)', async () => {
  const conversationId = newId('conv');
  await app.database.query(
    `insert into conversations (id, agent_id, user_identifier, channel) values ($1, $2, 'loopback:t', 'loopback')`,
    [conversationId, ws.agentId],
  );
  await app.database.query(
    `insert into messages (id, conversation_id, agent_id, role, content, channel, direction, status, recipient)
     values ($1, $2, $3, 'user', 'hello', 'loopback', 'inbound', 'received', '{"platformUserId":"t","chatId":"t"}')`,
    [newId('msg'), conversationId, ws.agentId],
  );
  const turn = await prepareTurn(app.database.query, conversationId);
  expect(turn?.agent).toMatchObject({ status: 'active', systemPrompt: 'You are the turn agent.' });
  const responder = createAgentResponder({
    database: app.database,
    vault: app.vault,
    llm: createLlmClient({ timeoutMs: 5000, maxRetries: 0, baseDelayMs: 5, maxDelayMs: 50 }),
    historyBudgetChars: 10_000,
  });
  // The agent is switched off after the turn was read: the turn still answers from what it read...
  await app.database.query(`update agents set status = 'inactive' where id = $1`, [ws.agentId]);
  llm.reply('from the turn');
  const reply = await responder(turn!.input, { agent: turn!.agent });
  expect(reply.text).toBe('from the turn');
  expect(JSON.stringify(llm.requests.at(-1)?.body)).toContain('You are the turn agent.');
  // ...while a responder given no agent reads it, and finds it off.
  await expect(responder(turn!.input)).rejects.toMatchObject({ code: 'agent_inactive' });
  await expect(responder(turn!.input)).rejects.toBeInstanceOf(TurnError);
});
