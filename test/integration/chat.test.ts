import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.ts';
import {
  registerUser,
  createWorkspace,
  createLlmKey,
  useFakeLlm,
  type TestUser,
} from '../helpers/fixtures.ts';
import { postSse } from '../helpers/sse.ts';

let app: TestApp;
let primary: FakeLlm;
let backup: FakeLlm;
let owner: TestUser;
let orgId: string;
let projectId: string;
let agentId: string;
const agentPath = () => `/api/v1/organizations/${orgId}/projects/${projectId}/agents/${agentId}`;

beforeAll(async () => {
  // Three attempts per target (LLM_MAX_RETRIES=2), as the fallback scenario scripts.
  app = await startTestApp({ LLM_MAX_RETRIES: '2' });
  primary = await startFakeLlm();
  backup = await startFakeLlm();
  ({ owner, orgId, projectId, agentId } = await createWorkspace(app, 'owner'));
  const ws = { owner, orgId, projectId, agentId };
  await useFakeLlm(app, ws, primary.url, {
    system_prompt: 'When responding on WhatsApp, use emojis. On Email, be formal.',
    llm_settings: {
      model: 'fake-primary',
      fallback: {
        provider: 'openai-compatible',
        model: 'fake-backup',
        api_key: await createLlmKey(app, ws, backup.url, 'backup'),
      },
    },
  });
});

afterAll(async () => {
  await app?.close();
  await primary?.close();
  await backup?.close();
});

describe('authenticated chat API', () => {
  it('returns the scripted reply and stores it with its token usage', async () => {
    primary.reply('Hello from the fake model');
    const res = await app.call('POST', `${agentPath()}/chat`, {
      token: owner.token,
      body: { message: 'hi there', user_identifier: 'user@example.com' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.response).toBe('Hello from the fake model');
    expect(res.body.token_usage.output_tokens).toBeGreaterThan(0);
    expect(res.body.token_usage.total_tokens).toBe(
      res.body.token_usage.input_tokens + res.body.token_usage.output_tokens,
    );
    const detail = await app.call('GET', `${agentPath()}/conversations/${res.body.conversation_id}`, {
      token: owner.token,
    });
    expect(detail.status).toBe(200);
    expect(detail.body.data.channel).toBe('website');
    expect(detail.body.data.user_identifier).toBe('user@example.com');
    const roles = detail.body.data.messages.map((m: { role: string }) => m.role);
    expect(roles).toEqual(['user', 'assistant']);
    const assistant = detail.body.data.messages[1];
    expect(assistant.content).toBe('Hello from the fake model');
    expect(assistant.token_usage.output).toBe(res.body.token_usage.output_tokens);
    expect(detail.body.data.token_usage.output).toBe(res.body.token_usage.output_tokens);

    // The same conversation continues, and the model sees the earlier turn marked with its channel.
    primary.reply('Second answer');
    const again = await app.call('POST', `${agentPath()}/chat`, {
      token: owner.token,
      body: { message: 'and again', conversation_id: res.body.conversation_id },
    });
    expect(again.status, again.text).toBe(200);
    expect(again.body.conversation_id).toBe(res.body.conversation_id);
    const sent = primary.requests.at(-1)?.body.messages.map((m: { content: string }) => m.content);
    expect(sent).toContain('[via website] hi there');
    expect(sent).toContain('[via website] Hello from the fake model');
    expect(sent.at(-1)).toBe('and again');
  });

  it('puts the channel context block in the system prompt the model receives', async () => {
    primary.reply('Formal answer.');
    const res = await app.call('POST', `${agentPath()}/chat`, {
      token: owner.token,
      body: { message: 'Dear agent', user_identifier: 'formal@example.com', channel: 'email' },
    });
    expect(res.status, res.text).toBe(200);
    const system = primary.requests.at(-1)?.body.messages[0];
    expect(system.role).toBe('system');
    expect(system.content).toContain('When responding on WhatsApp, use emojis. On Email, be formal.');
    expect(system.content).toContain('Channel: email');
    expect(system.content).toMatch(/Current time: \d{4}-\d\d-\d\dT/);
  });

  it('streams several response_chunk events before complete', async () => {
    primary.reply('one two three four five six seven eight');
    const { status, events } = await postSse(
      `${app.url}${agentPath()}/chat/stream`,
      { message: 'stream please', user_identifier: 'streamer' },
      { authorization: `Bearer ${owner.token}` },
    );
    expect(status).toBe(200);
    expect(events[0]?.event).toBe('connected');
    const chunks = events.filter((e) => e.event === 'response_chunk');
    expect(chunks.length).toBeGreaterThan(1);
    const complete = events.at(-1);
    expect(complete?.event).toBe('complete');
    expect(events.findIndex((e) => e.event === 'complete')).toBeGreaterThan(
      events.findLastIndex((e) => e.event === 'response_chunk'),
    );
    expect(chunks.map((c) => c.data.content).join('')).toBe('one two three four five six seven eight');
    expect(complete?.data.response).toBe('one two three four five six seven eight');
    expect(complete?.data.conversation_id).toMatch(/^conv_/);
    expect(complete?.data.token_usage.output_tokens).toBeGreaterThan(0);
  });

  it('turns a quick-reply line into buttons: never streamed, stored, returned and offered only where shown', async () => {
    primary.reply('Which size?\n[[buttons: Small | Large]]');
    primary.chunkDelayMs = 2;
    const { events } = await postSse(
      `${app.url}${agentPath()}/chat/stream`,
      { message: 'I want a shirt', user_identifier: 'shopper' },
      { authorization: `Bearer ${owner.token}` },
    );
    primary.chunkDelayMs = 0;
    const streamed = events
      .filter((e) => e.event === 'response_chunk')
      .map((e) => e.data.content)
      .join('');
    expect(streamed.trimEnd()).toBe('Which size?');
    const complete = events.at(-1);
    expect(complete?.event).toBe('complete');
    const buttons = [
      { label: 'Small', value: 'Small' },
      { label: 'Large', value: 'Large' },
    ];
    expect(complete?.data).toMatchObject({ response: 'Which size?', buttons });
    expect(primary.requests.at(-1)?.body.messages[0].content).toContain('[[buttons:');

    const detail = await app.call('GET', `${agentPath()}/conversations/${complete?.data.conversation_id}`, {
      token: owner.token,
    });
    expect(detail.body.data.messages.at(-1)).toMatchObject({ content: 'Which size?', buttons });

    primary.reply('Noted.\n[[buttons: Yes | No]]');
    const json = await app.call('POST', `${agentPath()}/chat`, {
      token: owner.token,
      body: { message: 'Large', conversation_id: complete?.data.conversation_id },
    });
    expect(json.body).toMatchObject({ response: 'Noted.', buttons: [{ label: 'Yes' }, { label: 'No' }] });

    // Email shows no buttons, so the model is not told about them there.
    primary.reply('Dear customer.');
    await app.call('POST', `${agentPath()}/chat`, {
      token: owner.token,
      body: { message: 'Hello', user_identifier: 'mailer@example.com', channel: 'email' },
    });
    expect(primary.requests.at(-1)?.body.messages[0].content).not.toContain('[[buttons:');
  });

  it('answers from the fallback model when the primary fails with 500 three times', async () => {
    primary.fail(500, { times: 3 });
    backup.reply('Fallback says hi');
    const before = primary.requests.length;
    const res = await app.call('POST', `${agentPath()}/chat`, {
      token: owner.token,
      body: { message: 'are you there?', user_identifier: 'fallback-user' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.response).toBe('Fallback says hi');
    expect(primary.requests.length - before).toBe(3);
  });

  it('both models failing: 502 with a clear message, an error event, and the failure on the conversation', async () => {
    primary.fail(500, { times: 3 });
    backup.fail(500, { times: 3 });
    const res = await app.call('POST', `${agentPath()}/chat`, {
      token: owner.token,
      body: { message: 'anyone?', user_identifier: 'unlucky' },
    });
    expect(res.status, res.text).toBe(502);
    expect(res.body.error).toMatch(/could not answer/);
    const list = await app.call('GET', `${agentPath()}/conversations?user_identifier=unlucky`, {
      token: owner.token,
    });
    const conversationId = list.body.data[0]._id;
    const detail = await app.call('GET', `${agentPath()}/conversations/${conversationId}`, {
      token: owner.token,
    });
    const failed = detail.body.data.messages.find((m: { role: string }) => m.role === 'assistant');
    expect(failed.status).toBe('failed');
    expect(failed.error.code).toMatch(/^llm_/);

    primary.fail(500, { times: 3 });
    backup.fail(500, { times: 3 });
    const streamed = await postSse(
      `${app.url}${agentPath()}/chat/stream`,
      { message: 'still there?', user_identifier: 'unlucky-stream' },
      { authorization: `Bearer ${owner.token}` },
    );
    expect(streamed.status).toBe(200);
    const last = streamed.events.at(-1);
    expect(last?.event).toBe('error');
    expect(last?.data.status).toBe(502);
    expect(last?.data.error).toMatch(/could not answer/);
  }, 60_000);

  it('validates input: message length, channel, roles', async () => {
    const long = await app.call('POST', `${agentPath()}/chat`, {
      token: owner.token,
      body: { message: 'x'.repeat(4001) },
    });
    expect(long.status).toBe(400);
    expect(long.body.error).toMatch(/message/);
    const channel = await app.call('POST', `${agentPath()}/chat`, {
      token: owner.token,
      body: { message: 'hi', channel: 'fax' },
    });
    expect(channel.status).toBe(400);
    expect(channel.body.error).toMatch(/channel/);
    const stranger = await registerUser(app, 'stranger');
    const outsider = await app.call('POST', `${agentPath()}/chat`, {
      token: stranger.token,
      body: { message: 'hi' },
    });
    expect(outsider.status).toBe(404);
    const missing = await app.call('POST', `${agentPath()}/chat`, {
      token: owner.token,
      body: { message: 'hi', conversation_id: 'conv_01jd2x3y4z5a6b7c8d9e0f1g2h' },
    });
    expect(missing.status).toBe(404);
  });
});
