import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  launchChromium,
  loginThroughForm,
  newConsolePage,
  PHONE,
  runBrowserTests,
  screenshots,
} from '../helpers/console.ts';
import { FakeTelegram } from '../helpers/fake-telegram.ts';
import { addMember, createWorkspace, registerUser, type Workspace } from '../helpers/fixtures.ts';
import { secret } from '../helpers/secrets.ts';

const PUBLIC_URL = 'https://bot.example.com';
/** Failed loads the page provokes on purpose (a refused save); anything else is a problem. */
/** Waits for a condition (generous: the machine running the suite may be loaded). */
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 60_000 });
/** A label as the form writes it: the name, then possibly " (required)". */
const labelled = (label: string) =>
  new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( \\(required\\))?$`);
const unexpected = (problems: string[]) => problems.filter((p) => !/status of 400/.test(p));

/** The Channels page in Chromium against the real server and the fake Telegram Bot API. */
describe.skipIf(!runBrowserTests)('console channels page in Chromium', { timeout: 300_000 }, () => {
  let app: TestApp;
  let fake: FakeTelegram;
  let browser: Browser;
  let ws: Workspace;
  const token = secret(
    `${720000 + Math.floor(Math.random() * 1e5)}:${randomBytes(24).toString('base64url')}`,
  );

  beforeAll(async () => {
    fake = await new FakeTelegram(token, 'console_test_bot').start();
    app = await startTestApp(
      { PUBLIC_URL, TELEGRAM_API_ROOT: fake.url, TURN_DEBOUNCE_MS: 'telegram=0' },
      undefined,
      { engine: { responder: async () => ({ text: 'hello from the agent' }) } },
    );
    fake.deliverTo = (url) => `${app.url}${new URL(url).pathname}`;
    ws = await createWorkspace(app, 'channels-owner');
    browser = await launchChromium();
  }, 400_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await fake?.close();
  });

  const channelsApi = () =>
    `/api/v1/channels/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/channels`;
  /** The form field (label, control, hint, error) holding the control labelled `label`. */
  const fieldOf = (page: Page, label: string) =>
    page.locator('.field').filter({ has: page.getByLabel(labelled(label)) });

  it('configures Telegram through the form, tests it and sets its webhook; no secret reaches the page', async () => {
    const { page, problems, close } = await newConsolePage(browser);
    await loginThroughForm(page, app.url, ws.owner);
    await page.goto(`${app.url}/console#/channels`);
    await page.getByRole('heading', { name: /No channels configured yet/ }).waitFor();
    await screenshots(page, 'channels-empty');
    await page.getByRole('button', { name: 'Set up Telegram' }).click();

    // A token in the wrong shape: the API's 400 shows under the Bot token field, not elsewhere.
    await page.getByLabel(labelled('Bot token')).fill('not-a-bot-token');
    // A channel set up for the first time starts enabled.
    expect(await page.getByLabel('Telegram enabled').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Save Telegram' }).click();
    await poll(() => fieldOf(page, 'Bot token').locator('.field-error').textContent()).toContain(
      'must be a bot token from @BotFather',
    );
    expect(await fieldOf(page, 'Bot username').locator('.field-error').count()).toBe(0);

    await page.getByLabel(labelled('Bot token')).fill(token);
    await page.getByLabel(labelled('Bot username')).fill('console_test_bot');
    await page.getByRole('button', { name: 'Save Telegram' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await page.getByRole('button', { name: 'Replace Bot token' }).waitFor();
    const stored = await app.call('GET', channelsApi(), { token: ws.owner.token });
    expect(stored.body.data.telegram).toMatchObject({ enabled: true, bot_username: 'console_test_bot' });
    expect(stored.body.data.telegram.bot_token).toEqual({ configured: true });
    expect(await page.getByRole('heading', { name: /No channels configured yet/ }).count()).toBe(0);

    await page.getByRole('button', { name: 'Test Telegram' }).click();
    const test = page.locator('.test-result').first();
    await poll(() => test.textContent()).toContain('Telegram connection test successful');
    expect(await test.textContent()).toContain('console_test_bot');
    expect(fake.callsOf('getMe').length).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Set webhook' }).click();
    const expectedUrl = `${PUBLIC_URL}/api/v1/channels/webhooks/telegram/${ws.agentId}`;
    await poll(() => fake.callsOf('setWebhook').length).toBe(1);
    const [setWebhook] = fake.callsOf('setWebhook');
    expect(setWebhook?.params.url).toBe(expectedUrl);
    const secretToken = String(setWebhook?.params.secret_token ?? '');
    expect(secretToken).toMatch(/^[A-Za-z0-9_-]{16,256}$/);
    await poll(() => page.getByText(`Webhook set: ${expectedUrl}`).count()).toBe(1);
    // The info Telegram reports now carries the URL, shown with a Copy button.
    await page.getByRole('heading', { name: 'What Telegram reports' }).waitFor();
    expect(await page.getByLabel('URL', { exact: true }).inputValue()).toBe(expectedUrl);
    // The secret token registered is the stored one: the server accepts an update signed with it.
    expect(await fake.deliver(fake.textUpdate({ id: 771001, first_name: 'Ana' }, 'hi'))).toBe(200);

    const html = await page.content();
    expect(html).not.toContain(token);
    expect(html).not.toContain(token.split(':')[1]);
    expect(html).not.toContain(secretToken);
    await screenshots(page, 'channels-telegram');
    await page.setViewportSize(PHONE);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(unexpected(problems)).toEqual([]);
    await close();
  });

  it('offers a form for every provider of the spec, places a nested 400 and masks the email inbound URL', async () => {
    const { page, problems, close } = await newConsolePage(browser);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
    await loginThroughForm(page, app.url, ws.owner);
    await page.goto(`${app.url}/console#/channels`);
    await page.getByRole('button', { name: /^WhatsApp/ }).click();
    const expectations: [string, string[]][] = [
      ['Twilio', ['Account SID', 'Auth token']],
      ['Meta Cloud API', ['Phone number id', 'Access token', 'App secret', 'Verify token']],
      ['360dialog', ['API key', 'Client id']],
    ];
    for (const [provider, labels] of expectations) {
      await page.getByLabel(provider, { exact: true }).check();
      for (const label of labels) expect(await page.getByLabel(labelled(label)).count(), label).toBe(1);
    }
    await page.getByRole('button', { name: /^Email/ }).click();
    const email: [string, string[]][] = [
      ['SMTP', ['SMTP host', 'SMTP port', 'SMTP password', 'IMAP host']],
      ['SendGrid', ['SendGrid API key', 'Event webhook verification key']],
      ['Mailgun', ['Mailgun API key', 'Sending domain', 'Region', 'Webhook signing key']],
      ['Amazon SES', ['AWS region', 'Access key id', 'Secret access key', 'SNS topic ARNs']],
    ];
    for (const [provider, labels] of email) {
      await page.getByLabel(provider, { exact: true }).check();
      for (const label of labels) expect(await page.getByLabel(labelled(label)).count(), label).toBe(1);
    }

    // SMTP enabled without its server: the 400 names smtp_config, shown on the SMTP host field.
    await page.getByLabel('SMTP', { exact: true }).check();
    await page.getByLabel(labelled('From address')).fill('support@example.com');
    await page.getByLabel('Email enabled').check();
    await page.getByRole('button', { name: 'Save Email' }).click();
    await poll(() => fieldOf(page, 'SMTP host').locator('.field-error').count()).toBe(1);

    // Completed and saved: the inbound URL carries the inbound secret, which is copied but never shown.
    const inboundSecret = secret(`in${randomBytes(16).toString('hex')}`);
    await page.getByLabel(labelled('SMTP host')).fill('smtp.example.com');
    await page.getByLabel(labelled('SMTP port')).fill('587');
    await page.getByLabel(labelled('Inbound secret')).fill(inboundSecret);
    await page.getByRole('button', { name: 'Save Email' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const inbound = page.getByLabel('Inbound URL (with credentials)', { exact: true });
    await poll(() => inbound.inputValue().catch(() => '')).toContain('inbound:••••••@');
    await page.getByRole('button', { name: 'Copy Inbound URL (with credentials)' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(
      `https://inbound:${inboundSecret}@bot.example.com/api/v1/channels/webhooks/email/${ws.agentId}`,
    );
    expect(await page.getByLabel('Delivery events URL', { exact: true }).count()).toBe(0);
    expect(await page.content()).not.toContain(inboundSecret);
    await screenshots(page, 'channels-email');
    expect(unexpected(problems)).toEqual([]);
    await close();
  });

  it('shows the WhatsApp webhook URLs to paste into Twilio, each with a Copy button', async () => {
    const { page, problems, close } = await newConsolePage(browser);
    await loginThroughForm(page, app.url, ws.owner);
    await page.goto(`${app.url}/console#/channels`);
    await page.getByRole('button', { name: /^WhatsApp/ }).click();
    await page.getByLabel('Twilio', { exact: true }).check();
    await page.getByLabel(labelled('WhatsApp phone number')).fill('+14155238886');
    await page.getByLabel(labelled('Account SID')).fill(`AC${'0'.repeat(32)}`);
    await page.getByLabel(labelled('Auth token')).fill(secret(`tw${randomBytes(12).toString('hex')}`));
    await page.getByLabel('WhatsApp enabled').check();
    await page.getByRole('button', { name: 'Save WhatsApp' }).click();
    await page.getByRole('heading', { name: 'Webhook setup' }).waitFor();
    const whatsappUrl = page.getByLabel('URL', { exact: true });
    await poll(() => whatsappUrl.inputValue().catch(() => '')).toContain(
      `${PUBLIC_URL}/api/v1/channels/webhooks/whatsapp/${ws.agentId}`,
    );
    expect(await page.getByRole('button', { name: 'Copy URL', exact: true }).count()).toBe(1);
    await screenshots(page, 'channels-whatsapp');
    expect(unexpected(problems)).toEqual([]);
    await close();
  });

  it('redraws the website widget preview as the theme changes, saves it, and copies the embed snippet', async () => {
    const { page, problems, close } = await newConsolePage(browser);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
    await loginThroughForm(page, app.url, ws.owner);
    await page.goto(`${app.url}/console#/channels`);
    await page.getByRole('button', { name: /^Website/ }).click();
    const bubble = page.getByTestId('widget-preview-bubble');
    const background = () => bubble.evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(await background()).toBe('rgb(0, 132, 255)');

    await page.getByLabel('Primary colour', { exact: true }).fill('#c0392b');
    await poll(background).toBe('rgb(192, 57, 43)');
    await page.getByLabel('Position').selectOption('bottom-left');
    await poll(() => page.getByTestId('widget-preview').getAttribute('data-position')).toBe('bottom-left');
    await page.getByLabel(labelled('Greeting message')).fill('Welcome to the shop!');
    await poll(() => page.locator('.preview-greeting').textContent()).toBe('Welcome to the shop!');

    await page.getByRole('button', { name: 'Save Website' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const stored = await app.call('GET', channelsApi(), { token: ws.owner.token });
    expect(stored.body.data.website.theme).toEqual({
      primary_color: '#c0392b',
      position: 'bottom-left',
      greeting_message: 'Welcome to the shop!',
    });

    await page.getByRole('button', { name: 'Copy Embed snippet' }).click();
    await page.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(`<script src="${app.url}/widget.js" data-agent-id="${ws.agentId}" async></script>`);
    await screenshots(page, 'channels-website');
    expect(unexpected(problems)).toEqual([]);
    await close();
  });

  it('shows a viewer why channel settings are closed, with no form', async () => {
    const viewer = await registerUser(app, 'channels-viewer');
    await addMember(app, ws.owner, ws.orgId, viewer, 'viewer');
    const { page, problems, close } = await newConsolePage(browser);
    await loginThroughForm(page, app.url, viewer);
    await page.goto(`${app.url}/console#/channels`);
    await page.getByText('Your role here is').waitFor();
    expect(await page.locator('main').textContent()).toContain('viewer');
    expect(await page.locator('main form, main input, main textarea').count()).toBe(0);
    expect(await page.locator('main button').count()).toBe(0);
    // The API refuses the viewer too.
    const forged = await app.call('GET', channelsApi(), { token: viewer.token });
    expect(forged.status).toBe(403);
    await screenshots(page, 'channels-viewer');
    expect(problems).toEqual([]);
    await close();
  });
});
