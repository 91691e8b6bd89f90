import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.ts';
import { createWorkspace, useFakeLlm } from '../helpers/fixtures.ts';

let app: TestApp;
let fake: FakeLlm;
let agentId: string;
const REPLY = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');

beforeAll(async () => {
  app = await startTestApp();
  fake = await startFakeLlm();
  fake.chunkDelayMs = 40;
  fake.respondWith(() => ({ reply: REPLY }));
  const ws = await createWorkspace(app);
  agentId = ws.agentId;
  await useFakeLlm(app, ws, fake.url);
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe('widget stream dropped by the visitor', () => {
  it('still completes and stores the reply, so the reconnecting widget finds it in the history', async () => {
    const session = await app.call('POST', `/api/v1/widget/${agentId}/session`, { body: {} });
    const auth = { authorization: `Bearer ${session.body.data.token}` };
    const abort = new AbortController();
    const res = await fetch(`${app.url}/api/v1/widget/${agentId}/messages/stream`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'are you still there?' }),
      signal: abort.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let seen = '';
    while (!seen.includes('response_chunk')) seen += new TextDecoder().decode((await reader.read()).value);
    abort.abort();

    let messages: { role: string; content: string }[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      const history = await app.call('GET', `/api/v1/widget/${agentId}/messages`, { headers: auth });
      messages = history.body.data.messages;
      if (messages.some((m) => m.role === 'assistant')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(messages[1]?.content).toBe(REPLY);
  });
});
