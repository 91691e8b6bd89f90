import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TurnInput } from '../../src/engine/responder.ts';
import { startTestApp, type TestApp } from './app.ts';
import { FakeTelegram } from './fake-telegram.ts';
import { createWorkspace, type Workspace } from './fixtures.ts';
import { secret } from './secrets.ts';

/** The app with the engine, a Telegram channel set up against the fake Bot API, and a scripted agent. */
export type TelegramApp = {
  app: TestApp;
  fake: FakeTelegram;
  ws: Workspace;
  /** Every turn the agent was asked to answer. */
  turns: TurnInput[];
  /** A new private-chat user. */
  user(firstName?: string): { id: number; first_name: string };
  /** The stored messages of a Telegram user, oldest first. */
  messagesOf(userId: number): Promise<{ role: string; content: string; attachments: any[] }[]>;
  close(): Promise<void>;
};

let nextUser = 6_660_000_000 + Math.floor(Math.random() * 1e6);

/** Starts it all; the agent answers `echo: <what the user said>`. `settings` are extra Telegram settings. */
export async function startTelegramApp(
  env: Record<string, string> = {},
  settings: Record<string, unknown> = {},
): Promise<TelegramApp> {
  const token = secret(
    `${720000 + Math.floor(Math.random() * 1e5)}:${randomBytes(24).toString('base64url')}`,
  );
  const fake = await new FakeTelegram(token, 'hardened_bot').start();
  const turns: TurnInput[] = [];
  const app = await startTestApp(
    {
      PUBLIC_URL: 'https://bot.example.com',
      TELEGRAM_API_ROOT: fake.url,
      TURN_DEBOUNCE_MS: 'telegram=0',
      ...env,
    },
    undefined,
    {
      engine: {
        responder: async (input) => {
          turns.push(input);
          return { text: `echo: ${input.pending.map((m) => m.content).join('|')}` };
        },
      },
    },
  );
  fake.deliverTo = (url) => `${app.url}${new URL(url).pathname}`;
  const ws = await createWorkspace(app, 'tg');
  const channels = `/api/v1/channels/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/channels`;
  const put = await app.call('PUT', channels, {
    token: ws.owner.token,
    body: { telegram: { enabled: true, bot_token: token, bot_username: 'hardened_bot', ...settings } },
  });
  expect(put.status, put.text).toBe(200);
  const setup = await app.call('POST', `${channels}/telegram/webhook/setup`, {
    token: ws.owner.token,
    body: {},
  });
  expect(setup.status, setup.text).toBe(200);
  return {
    app,
    fake,
    ws,
    turns,
    user: (firstName = 'Ana') => ({ id: ++nextUser, first_name: firstName }),
    messagesOf: (userId) =>
      app.database.query(
        `select m.role, m.content, m.attachments from messages m join conversations c on c.id = m.conversation_id
         where c.user_identifier = $1 order by m.seq`,
        [`telegram:${userId}`],
      ),
    close: async () => {
      await app.close();
      await fake.close();
    },
  };
}
