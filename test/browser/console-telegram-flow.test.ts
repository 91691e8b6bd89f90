import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  launchChromium,
  loginThroughForm,
  navLink,
  newConsolePage,
  runBrowserTests,
} from '../helpers/console.ts';
import { FakeTelegram } from '../helpers/fake-telegram.ts';
import { createWorkspace, type Workspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { secret } from '../helpers/secrets.ts';

/**
 * Issue 18's operator flow in one page session, never reloaded: configure Telegram through the Channels form
 * against the fake Bot API, test it and set its webhook; a customer's message then shows up in the Inbox live;
 * the operator takes over, replies (the fake Bot API receives the text) and hands back to the agent.
 */
const SLOW = 600_000;
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 60_000 });
const labelled = (label: string) => new RegExp(`^${label}( \\(required\\))?$`);

describe.skipIf(!runBrowserTests)('console: Telegram from the form to a human reply', () => {
  let app: TestApp;
  let fake: FakeTelegram;
  let browser: Browser;
  let ws: Workspace;
  const token = secret(
    `${730000 + Math.floor(Math.random() * 1e5)}:${randomBytes(24).toString('base64url')}`,
  );

  beforeAll(async () => {
    fake = await new FakeTelegram(token, 'flow_test_bot').start();
    app = await startTestApp(
      { PUBLIC_URL: 'https://bot.example.com', TELEGRAM_API_ROOT: fake.url, TURN_DEBOUNCE_MS: 'telegram=0' },
      undefined,
      { engine: { responder: async () => ({ text: 'The agent is on it.' }) } },
    );
    fake.deliverTo = (url) => `${app.url}${new URL(url).pathname}`;
    ws = await createWorkspace(app, 'flow-owner');
    browser = await launchChromium();
  }, SLOW);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await fake?.close();
  });

  it(
    'configures, tests and sets the webhook, then takes over a live conversation and hands it back',
    async () => {
      const { page, problems, close } = await newConsolePage(browser);
      page.setDefaultTimeout(90_000);
      await loginThroughForm(page, app.url, ws.owner);
      await navLink(page, 'Channels').click();
      await page.getByRole('button', { name: 'Set up Telegram' }).click();
      await page.getByLabel(labelled('Bot token')).fill(token);
      await page.getByLabel(labelled('Bot username')).fill('flow_test_bot');
      await page.getByRole('button', { name: 'Save Telegram' }).click();
      await page.getByRole('button', { name: 'Replace Bot token' }).waitFor();
      await page.getByRole('button', { name: 'Test Telegram' }).click();
      await poll(() => page.locator('.test-result').first().textContent()).toContain(
        'Telegram connection test successful',
      );
      await page.getByRole('button', { name: 'Set webhook' }).click();
      await poll(() => fake.callsOf('setWebhook').length).toBe(1);

      // From here on the page is never reloaded: the Inbox learns of the message from the events stream.
      await navLink(page, 'Inbox').click();
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7));
      const customer = { id: 880001, first_name: 'Dora' };
      // Delivered with the secret token the form registered (the fake sends what setWebhook was given).
      expect(await fake.deliver(fake.textUpdate(customer, 'Where is my parcel?'))).toBe(200);
      const row = page
        .getByRole('list', { name: 'Conversations' })
        .getByRole('link')
        .filter({ hasText: 'Dora' });
      await row.waitFor({ timeout: 60_000 });
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(7);

      await row.click();
      await page.getByRole('heading', { name: 'Dora' }).waitFor();
      await page.getByText('Where is my parcel?').first().waitFor();
      await page.getByRole('button', { name: 'Take over' }).click();
      await page.getByText(/^Human: .*\(you\)$/).waitFor();
      await page.getByLabel('Reply').fill('Hello Dora, a human here: it ships today.');
      await page.getByRole('button', { name: 'Send reply' }).click();
      const sent = await eventually(() =>
        fake.callsOf('sendMessage', customer.id).find((c) => String(c.params.text).includes('a human here')),
      );
      expect(String(sent.params.chat_id)).toBe(String(customer.id));

      await page.getByRole('button', { name: 'Resume agent' }).click();
      await page.getByText('Agent answering').waitFor();
      const conversationId = decodeURIComponent(page.url().split('#/inbox/')[1] ?? '');
      const detail = await app.call(
        'GET',
        `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/conversations/${conversationId}`,
        { token: ws.owner.token },
      );
      expect(detail.status, detail.text).toBe(200);
      expect(detail.body.data.handoff).toBeNull();
      expect(problems).toEqual([]);
      await close();
    },
    SLOW,
  );
});
