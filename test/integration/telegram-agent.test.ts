import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.ts';
import { FakeTelegram } from '../helpers/fake-telegram.ts';
import { createWorkspace, useFakeLlm, type TestUser } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { secret } from '../helpers/secrets.ts';

const TOKEN = secret(`${800000 + Math.floor(Math.random() * 1e5)}:${randomBytes(24).toString('base64url')}`);
let app: TestApp;
let fake: FakeTelegram;
let llm: FakeLlm;
let owner: TestUser;
let orgId: string;
let projectId: string;
let agentId: string;

beforeAll(async () => {
  fake = await new FakeTelegram(TOKEN, 'agent_e2e_bot').start();
  llm = await startFakeLlm();
  // No scripted responder: turns go through the real agent service and the AI SDK to the fake LLM.
  app = await startTestApp(
    { PUBLIC_URL: 'https://bot.example.com', TELEGRAM_API_ROOT: fake.url, TURN_DEBOUNCE_MS: 'telegram=0' },
    undefined,
    { engine: {} },
  );
  fake.deliverTo = (url) => `${app.url}${new URL(url).pathname}`;
  ({ owner, orgId, projectId, agentId } = await createWorkspace(app, 'tg-agent'));
  await useFakeLlm(app, { owner, orgId, projectId, agentId }, llm.url, {
    system_prompt: 'On Telegram, keep responses concise.',
  });
});

afterAll(async () => {
  await app?.close();
  await fake?.close();
  await llm?.close();
});

describe('Telegram with the real agent service', () => {
  it('answers a Telegram message with the LLM reply, rendered as Telegram HTML, and tells the model it is on Telegram', async () => {
    const channels = `/api/v1/channels/organizations/${orgId}/projects/${projectId}/agents/${agentId}/channels`;
    const put = await app.call('PUT', channels, {
      token: owner.token,
      body: { telegram: { enabled: true, bot_token: TOKEN, bot_username: 'agent_e2e_bot' } },
    });
    expect(put.status, put.text).toBe(200);
    const setup = await app.call('POST', `${channels}/telegram/webhook/setup`, {
      token: owner.token,
      body: {},
    });
    expect(setup.status, setup.text).toBe(200);

    llm.reply('Your order **#42** ships today & arrives <soon>.');
    const person = { id: 424242, first_name: 'Mia', username: 'mia_k' };
    expect(await fake.deliver(fake.textUpdate(person, 'Where is my order?'))).toBe(200);
    const sent = await eventually(() => fake.callsOf('sendMessage', person.id)[0], 15_000);
    expect(sent.params.parse_mode).toBe('HTML');
    expect(sent.params.text).toBe('Your order <b>#42</b> ships today &amp; arrives &lt;soon&gt;.');

    const request = llm.requests.at(-1)?.body;
    expect(request.messages[0].content).toContain('On Telegram, keep responses concise.');
    expect(request.messages[0].content).toContain('Channel: telegram');
    expect(request.messages[0].content).toContain('Mia');
    expect(request.messages.at(-1).content).toBe('Where is my order?');

    const list = await app.call(
      'GET',
      `/api/v1/organizations/${orgId}/projects/${projectId}/agents/${agentId}/conversations?user_identifier=telegram:${person.id}`,
      { token: owner.token },
    );
    expect(list.body.data[0].channel_metadata).toMatchObject({
      platform_user_id: `telegram:${person.id}`,
      chat_id: String(person.id),
      username: '@mia_k',
    });
    expect(list.body.data[0].token_usage.output).toBeGreaterThan(0);
  });

  it('sends the quick replies the model offers as an inline keyboard, without the marker', async () => {
    llm.reply('Pick a slot:\n[[buttons: Morning | Evening]]');
    const person = { id: 434343, first_name: 'Ola' };
    expect(await fake.deliver(fake.textUpdate(person, 'Book me in'))).toBe(200);
    const sent = await eventually(() => fake.callsOf('sendMessage', person.id)[0], 15_000);
    expect(sent.params.text).toBe('Pick a slot:');
    const markup =
      typeof sent.params.reply_markup === 'string'
        ? JSON.parse(sent.params.reply_markup)
        : sent.params.reply_markup;
    expect(markup.inline_keyboard).toEqual([
      [{ text: 'Morning', callback_data: 'Morning' }],
      [{ text: 'Evening', callback_data: 'Evening' }],
    ]);
    expect(llm.requests.at(-1)?.body.messages[0].content).toContain('[[buttons:');
  });
});
