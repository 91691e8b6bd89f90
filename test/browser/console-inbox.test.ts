import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  launchChromium,
  loginThroughForm,
  newConsolePage,
  PHONE,
  runBrowserTests,
  screenshots,
  navLink,
} from '../helpers/console.ts';
import { addMember, registerUser, type TestUser } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { startTelegramApp, type TelegramApp } from '../helpers/telegram-app.ts';

/**
 * The Inbox in Chromium against the real server and engine, with Telegram configured through the API against the
 * fake Bot API: signed inbound updates appear live, an operator takes over, replies (the fake receives the text),
 * resumes and closes; a viewer sees no write controls and a forged write from its page is refused.
 */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
/** Outer bounds for a loaded machine: the app's start and each test's page flow. */
const SLOW = 600_000;
const PLAYWRIGHT_TIMEOUT = 90_000;
/** Polls a condition until it holds (Playwright reads can be slow on a loaded machine). */
const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 60_000 });

describe.skipIf(!runBrowserTests)('console inbox in Chromium', () => {
  let tg: TelegramApp;
  let browser: Browser;
  let viewer: TestUser;
  let conversationId = '';
  const ana = { id: 0, first_name: 'Ana' };

  beforeAll(async () => {
    tg = await startTelegramApp();
    Object.assign(ana, tg.user('Ana'));
    viewer = await registerUser(tg.app, 'inbox-viewer');
    await addMember(tg.app, tg.ws.owner, tg.ws.orgId, viewer, 'viewer');
    browser = await launchChromium();
  }, SLOW);
  afterAll(async () => {
    await browser?.close();
    await tg?.close();
  });

  /** A signed update from the fake Bot API to the server's webhook, as Telegram sends it. */
  const writes = async (user: { id: number; first_name: string }, text: string, extra: object = {}) =>
    expect(await tg.fake.deliver(tg.fake.textUpdate(user, text, extra))).toBe(200);
  const rows = (page: Page) => page.getByRole('list', { name: 'Conversations' }).getByRole('link');
  const messages = (page: Page) => page.getByRole('list', { name: /^Messages with/ }).getByRole('listitem');

  it(
    'shows what to do first, then a Telegram message arrives live; take over, reply, resume, close',
    async () => {
      const { page, problems, close } = await newConsolePage(browser);
      page.setDefaultTimeout(PLAYWRIGHT_TIMEOUT);
      await loginThroughForm(page, tg.app.url, tg.ws.owner);
      await page.goto(`${tg.app.url}/console#/inbox`);
      const empty = page.getByRole('region', { name: 'No conversations yet' });
      await empty.waitFor();
      expect(await empty.getByRole('link', { name: 'Try the Playground' }).getAttribute('href')).toBe(
        '#/playground',
      );
      expect(await empty.getByRole('link', { name: 'Configure a channel' }).getAttribute('href')).toBe(
        '#/channels',
      );
      expect(await empty.textContent()).toContain('@BotFather');
      await screenshots(page, 'inbox-empty');

      // Live: no navigation happens between here and the rows showing up.
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
      await writes(ana, 'Hello, is my order shipped?');
      await rows(page).first().waitFor({ timeout: 60_000 });
      await poll(() => rows(page).first().textContent()).toContain('echo: Hello, is my order shipped?');
      expect(await rows(page).first().textContent()).toContain('Ana');
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);

      // A second person writes with a photo: their conversation moves to the top, still without a reload.
      const ben = tg.user('Ben');
      tg.fake.addFile('photo-ben', PNG);
      await writes(ben, '', {
        text: undefined,
        caption: 'the damaged box',
        photo: [
          { file_id: 'photo-ben', file_unique_id: 'u-photo-ben', width: 1, height: 1, file_size: PNG.length },
        ],
      });
      await poll(() => rows(page).first().textContent()).toContain('Ben');
      expect(await rows(page).count()).toBe(2);
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);

      // The photo is previewed inline through the attachments route.
      await rows(page).first().click();
      const photo = page.getByRole('img', { name: 'Image' });
      await photo.waitFor({ timeout: 30_000 });
      expect(await photo.getAttribute('src')).toMatch(/\/messages\/msg_[^/]+\/attachments\/0$/);
      await poll(() => photo.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);

      await rows(page).filter({ hasText: 'Ana' }).click();
      await poll(() => page.url()).toMatch(/#\/inbox\/conv_/);
      conversationId = decodeURIComponent(page.url().split('#/inbox/')[1] ?? '');
      await page.getByRole('heading', { name: 'Ana' }).waitFor();
      // Oldest first: the customer's message, then the agent's echo of it.
      const first = messages(page).filter({ hasText: 'Hello, is my order shipped?' }).first();
      expect(await first.textContent()).toContain('Ana');
      const reply = messages(page).filter({ hasText: 'echo: Hello, is my order shipped?' });
      expect(await reply.textContent()).toContain('Agent');
      await poll(() => reply.locator('.status-ticks').getAttribute('data-status')).toBe('sent');
      expect(await reply.locator('.status-ticks .visually-hidden').textContent()).toBe('Sent');
      await page.getByText('Agent answering').waitFor();

      await page.getByRole('button', { name: 'Take over' }).click();
      await page.getByText(/^Human: .*\(you\)$/).waitFor();
      expect(await page.getByRole('button', { name: 'Take over' }).count()).toBe(0);

      await page.getByLabel('Reply').fill('Hi Ana, I am checking your order now.');
      await page.getByRole('button', { name: 'Send reply' }).click();
      const sent = await eventually(() =>
        tg.fake
          .callsOf('sendMessage', ana.id)
          .find((c) => String(c.params.text).includes('I am checking your order now')),
      );
      expect(String(sent.params.chat_id)).toBe(String(ana.id));
      const mine = messages(page).filter({ hasText: 'I am checking your order now' });
      await poll(() => mine.locator('.status-ticks').getAttribute('data-status')).toBe('sent');
      expect(await mine.locator('.message-author').textContent()).toMatch(/\(you\)$/);

      // A failed send shows the reason to sighted and screen-reader users.
      tg.fake.failNext('sendMessage', { error_code: 400, description: 'Bad Request: chat not found' });
      await page.getByLabel('Reply').fill('This one will fail.');
      await page.getByRole('button', { name: 'Send reply' }).click();
      const failed = messages(page).filter({ hasText: 'This one will fail.' }).locator('.status-ticks');
      await poll(() => failed.getAttribute('data-status')).toBe('failed');
      expect(await failed.locator('.visually-hidden').textContent()).toMatch(/^Failed: .*chat not found/);
      await failed.focus();
      expect(await failed.locator('.status-reason').isVisible()).toBe(true);

      // While a human owns it, the person's next message arrives live and the agent stays quiet.
      const turnsBefore = tg.turns.length;
      await writes(ana, 'Thanks, waiting.');
      await messages(page).filter({ hasText: 'Thanks, waiting.' }).waitFor({ timeout: 60_000 });
      expect(tg.turns.length).toBe(turnsBefore);
      await screenshots(page, 'inbox-conversation');

      await page.getByRole('button', { name: 'Resume agent' }).click();
      await page.getByText('Agent answering').waitFor();
      await page.getByRole('button', { name: 'Take over' }).waitFor();

      // On a desktop the list stays beside the conversation; the nav's Inbox link closes the conversation.
      await navLink(page, 'Inbox').click();
      await page.getByText('Choose a conversation to read it and reply.').waitFor();
      await screenshots(page, 'inbox-list');

      await page.goto(`${tg.app.url}/console#/inbox/${conversationId}`);
      await page.getByRole('button', { name: 'Close', exact: true }).click();
      await page.getByText('This conversation is closed.', { exact: false }).waitFor();
      expect(await page.getByLabel('Reply').count()).toBe(0);
      const closed = await tg.app.call(
        'GET',
        `/api/v1/organizations/${tg.ws.orgId}/projects/${tg.ws.projectId}/agents/${tg.ws.agentId}/conversations/${conversationId}`,
        { token: tg.ws.owner.token },
      );
      expect(closed.body.data.status).toBe('closed');
      expect(problems).toEqual([]);
      await close();
    },
    SLOW,
  );

  it(
    'filters by handoff and channel',
    async () => {
      const { page, problems, close } = await newConsolePage(browser);
      page.setDefaultTimeout(PLAYWRIGHT_TIMEOUT);
      await loginThroughForm(page, tg.app.url, tg.ws.owner);
      await page.goto(`${tg.app.url}/console#/inbox`);
      await rows(page).first().waitFor();
      await page.getByLabel('Channel').selectOption('email');
      await page.getByText('No conversations match these filters.').waitFor();
      await page.getByLabel('Channel').selectOption('telegram');
      await poll(() => rows(page).count()).toBe(2);
      await page.getByLabel('Status').selectOption('closed');
      await poll(() => rows(page).count()).toBe(1);
      expect(await rows(page).first().textContent()).toContain('Ana');
      expect(problems).toEqual([]);
      await close();
    },
    SLOW,
  );

  it(
    'on a phone the list and the conversation are separate screens',
    async () => {
      const { page, problems, close } = await newConsolePage(browser, PHONE);
      page.setDefaultTimeout(PLAYWRIGHT_TIMEOUT);
      await loginThroughForm(page, tg.app.url, tg.ws.owner);
      await page.goto(`${tg.app.url}/console#/inbox`);
      await rows(page).first().click();
      await page.getByRole('link', { name: 'All conversations' }).waitFor();
      expect(await page.getByRole('heading', { name: 'Inbox' }).isVisible()).toBe(false);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.getByRole('link', { name: 'All conversations' }).click();
      await page.getByRole('heading', { name: 'Inbox' }).waitFor();
      expect(problems).toEqual([]);
      await close();
    },
    SLOW,
  );

  it(
    'a viewer reads conversations without write controls, and a forged write gets 403',
    async () => {
      const { page, problems, close } = await newConsolePage(browser);
      page.setDefaultTimeout(PLAYWRIGHT_TIMEOUT);
      await loginThroughForm(page, tg.app.url, viewer);
      const open = (await eventually(async () => {
        const res = await tg.app.call(
          'GET',
          `/api/v1/organizations/${tg.ws.orgId}/projects/${tg.ws.projectId}/agents/${tg.ws.agentId}/conversations?status=active`,
          { token: viewer.token },
        );
        return res.body.data?.[0];
      })) as { _id: string };
      await page.goto(`${tg.app.url}/console#/inbox/${open._id}`);
      await messages(page).first().waitFor();
      await page.getByText('Agent answering').waitFor();
      for (const name of ['Take over', 'Resume agent', 'Close', 'Send reply', 'Send template']) {
        expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
      }
      expect(await page.getByRole('textbox').count()).toBe(0);

      const status = await page.evaluate(async (path) => {
        const csrf = /(?:^|; )sb_csrf=([^;]*)/.exec(document.cookie)?.[1] ?? '';
        const res = await fetch(path, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf) },
          body: JSON.stringify({ text: 'forged' }),
        });
        return res.status;
      }, `/api/v1/organizations/${tg.ws.orgId}/projects/${tg.ws.projectId}/agents/${tg.ws.agentId}/conversations/${open._id}/messages`);
      expect(status).toBe(403);
      const handoff = await page.evaluate(async (path) => {
        const csrf = /(?:^|; )sb_csrf=([^;]*)/.exec(document.cookie)?.[1] ?? '';
        const res = await fetch(path, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf) },
          body: '{}',
        });
        return res.status;
      }, `/api/v1/organizations/${tg.ws.orgId}/projects/${tg.ws.projectId}/agents/${tg.ws.agentId}/conversations/${open._id}/handoff`);
      expect(handoff).toBe(403);
      const [row] = await tg.app.database.query<{ handoff_at: Date | null }>(
        'select handoff_at from conversations where id = $1',
        [open._id],
      );
      expect(row?.handoff_at).toBeNull();
      // The forged fetches' 403s are the only console errors.
      expect(problems.filter((p) => !/status of 403/.test(p))).toEqual([]);
      await close();
    },
    SLOW,
  );
});
