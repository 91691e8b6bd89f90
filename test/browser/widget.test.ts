import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.ts';
import { migratedDataDir } from '../helpers/database.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { listeningUrl, spawnServer, waitFor } from '../helpers/process.ts';
import { startFakeLlm, type FakeLlm, type FakeLlmRequest } from '../helpers/fake-llm.ts';
import { createWorkspace, useFakeLlm, type TestUser } from '../helpers/fixtures.ts';
import { randomSecret } from '../helpers/secrets.ts';

/**
 * The website widget in a real browser: Debian's Chromium (never a downloaded one) driven by playwright-core,
 * against the real server with a fake OpenAI-compatible model that streams slowly enough to watch.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const haveChromium = fs.existsSync(CHROMIUM);
/** Debian's Chromium, headless, with nothing that reaches the network on its own. */
const launchChromium = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });

const MARKDOWN_REPLY =
  'Here is **bold** advice, a [docs link](https://example.com/docs) and some code:\n\n```js\nconst answer = 42;\n```';
const PLAIN_REPLY = 'Thanks for asking, this reply arrives in several small pieces over the stream.';
const XSS = '<img src=x onerror=alert(1)>';

let app: TestApp;
let fake: FakeLlm;
let browser: Browser;
let owner: TestUser;
let orgId: string;
let projectId: string;
let agentId: string;
const widgetSecret = randomSecret('widget-secret-');
/** The widget's host element: locators chained from it pierce its shadow root. */
const W = '#switchboard-widget';
const demoUrl = () => `${app.url}/widget/demo?agent=${agentId}`;
const channelsPath = () =>
  `/api/v1/channels/organizations/${orgId}/projects/${projectId}/agents/${agentId}/channels`;

function lastUserText(request: FakeLlmRequest): string {
  const messages: { role: string; content: unknown }[] = request.body?.messages ?? [];
  const last = messages.filter((m) => m.role === 'user').at(-1)?.content;
  if (typeof last === 'string') return last;
  return Array.isArray(last) ? last.map((part: { text?: string }) => part.text ?? '').join('') : '';
}

async function setWebsite(website: Record<string, unknown>): Promise<void> {
  const res = await app.call('PUT', channelsPath(), { token: owner.token, body: { website } });
  expect(res.status, res.text).toBe(200);
}

// Shadow-root helpers, evaluated in the page.
const inWidget = <T>(page: Page, fn: string): Promise<T> =>
  page.evaluate(`(() => { const root = document.querySelector('#switchboard-widget').shadowRoot; ${fn} })()`);

async function openDemo(context: BrowserContext, url = demoUrl()): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.locator(W).locator('.launcher').waitFor();
  return page;
}

/** Identifies the visitor as `email` with a correct user_hash, as the host page would; the widget's answer. */
const identify = (page: Page, email: string): Promise<boolean> =>
  page.evaluate(
    ([user_identifier, user_hash]) =>
      (window as unknown as { Switchboard: any }).Switchboard.identify({ user_identifier, user_hash }),
    [email, createHmac('sha256', widgetSecret).update(email).digest('hex')],
  );

async function openPanel(page: Page): Promise<void> {
  await page.locator(W).locator('.launcher').click();
  await page.locator(W).locator('.panel textarea').waitFor();
}

async function send(page: Page, text: string): Promise<void> {
  await page.locator(W).locator('.panel textarea').fill(text);
  await page.locator(W).locator('.panel textarea').press('Enter');
}

/** A stand-in third-party site on 127.0.0.1 that answers every request with `html`. */
async function startHostSite(html: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const lastAssistant = (page: Page) =>
  page.locator(W).locator('.msg.assistant:not(.greeting):not(.typing)').last();
const notice = (page: Page) => page.locator(W).locator('.notice');
const launcherStyle = (page: Page, property: string) =>
  page
    .locator(W)
    .locator('.launcher')
    .evaluate((el, name) => getComputedStyle(el).getPropertyValue(name), property);

describe.skipIf(!haveChromium && !process.env.CI)('website widget in Chromium', () => {
  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    app = await startTestApp();
    fake = await startFakeLlm();
    fake.chunkDelayMs = 60;
    fake.respondWith((request) => {
      const said = lastUserText(request);
      if (said.includes('markdown')) return { reply: MARKDOWN_REPLY };
      if (said.includes('<img')) return { reply: `You said: ${said}` };
      if (said.includes('pick a size')) return { reply: 'Which size?\n[[buttons: Small | Large]]' };
      if (said === 'Large') return { reply: 'Large it is.' };
      if (said.includes('cannot be answered')) return { status: 400, message: 'fake refusal' };
      return { reply: PLAIN_REPLY };
    });
    ({ owner, orgId, projectId, agentId } = await createWorkspace(app, 'owner'));
    await useFakeLlm(app, { owner, orgId, projectId, agentId }, fake.url);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await fake?.close();
  });

  it('serves the script (short cache and versioned immutable URL, cross-origin CORP) and a validated demo page', async () => {
    const script = await fetch(`${app.url}/widget.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(script.headers.get('cache-control')).toMatch(/max-age=300/);
    const code = await script.text();

    const demo = await fetch(demoUrl());
    expect(demo.status).toBe(200);
    expect(demo.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await demo.text();
    const versioned = /src="(\/widget\/[0-9a-f]{16}\.js)"/.exec(html)?.[1];
    expect(versioned).toBeDefined();
    const pinned = await fetch(`${app.url}${versioned}`);
    expect(pinned.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(pinned.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(await pinned.text()).toBe(code);
    expect((await fetch(`${app.url}/widget/0123456789abcdef.js`)).status).toBe(404);

    const bad = await fetch(`${app.url}/widget/demo?agent=%22%3E%3Cscript%3Ealert(1)%3C/script%3E`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toContain('<script>');
  });

  it('streams a markdown reply in several steps, then restores the history after a reload and in a new tab', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await openDemo(context);
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    const launcher = await page.locator(W).locator('.launcher').boundingBox();
    expect(launcher && launcher.x).toBeGreaterThan(1280 / 2);
    await openPanel(page);
    await expect
      .poll(() => page.locator(W).locator('.greeting').textContent())
      .toBe('Hello! How can I help you?');
    expect(await inWidget(page, 'return root.activeElement?.tagName')).toBe('TEXTAREA');

    // Record every state of the reply bubble as it changes.
    await inWidget(
      page,
      `window.__steps = [];
       new MutationObserver(() => {
         const typing = root.querySelector('.typing');
         const replies = root.querySelectorAll('.msg.assistant:not(.greeting):not(.typing)');
         const text = replies.length ? replies[replies.length - 1].textContent : '';
         const step = typing ? 'typing' : text;
         if (window.__steps.at(-1) !== step) window.__steps.push(step);
       }).observe(root.querySelector('.log'), { childList: true, subtree: true, characterData: true });`,
    );
    await send(page, 'please show me markdown');
    await expect.poll(() => lastAssistant(page).locator('pre code').textContent()).toBe('const answer = 42;');
    const steps = await page.evaluate(() => (window as unknown as { __steps: string[] }).__steps);
    expect(steps[0]).toBe('typing');
    const texts = steps.filter((s) => s && s !== 'typing');
    expect(texts.length).toBeGreaterThan(2);
    for (let i = 1; i < texts.length; i++)
      expect(texts[i]?.length).toBeGreaterThanOrEqual(texts[i - 1]?.length ?? 0);

    const reply = lastAssistant(page);
    expect(await reply.locator('strong').textContent()).toBe('bold');
    const link = reply.locator('a');
    expect(await link.getAttribute('href')).toBe('https://example.com/docs');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await page.locator(W).locator('.sr').textContent()).toMatch(/^Assistant: Here is bold advice/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'widget-desktop.png') });

    await page.reload();
    await openPanel(page);
    await expect
      .poll(() => page.locator(W).locator('.msg.user').allTextContents())
      .toEqual(['please show me markdown']);
    expect(await lastAssistant(page).locator('strong').textContent()).toBe('bold');

    const tab = await openDemo(context);
    await openPanel(tab);
    await expect.poll(() => tab.locator(W).locator('.msg').count()).toBe(3);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('two tabs opened before the first message are one visitor: both conversations are one', async () => {
    const context = await browser.newContext();
    const first = await openDemo(context);
    const second = await openDemo(context);
    await openPanel(first);
    await openPanel(second);
    await send(first, 'hello from the first tab');
    await expect.poll(() => lastAssistant(first).textContent()).toBe(PLAIN_REPLY);
    // The second tab talks as the visitor the first one started (before, it started a visitor of its own and
    // took over the stored token: the first tab's conversation was gone after a reload).
    await send(second, 'hello from the second tab');
    await expect.poll(() => lastAssistant(second).textContent()).toBe(PLAIN_REPLY);
    await first.reload();
    await openPanel(first);
    await expect
      .poll(() => first.locator(W).locator('.msg.user').allTextContents())
      .toEqual(['hello from the first tab', 'hello from the second tab']);
    await context.close();
  });

  it('shows model HTML as text: no element, no script runs', async () => {
    const context = await browser.newContext();
    const page = await openDemo(context);
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await openPanel(page);
    await send(page, XSS);
    await expect.poll(() => lastAssistant(page).textContent()).toBe(`You said: ${XSS}`);
    expect(await page.locator(W).locator('.msg.user').last().textContent()).toBe(XSS);
    expect(await inWidget(page, 'return root.querySelectorAll("img").length')).toBe(0);
    expect(await page.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
    await page.waitForTimeout(200);
    expect(dialogs).toEqual([]);
    await context.close();
  });

  it('shows quick replies as buttons that send their value, never the marker, and restores them after a reload', async () => {
    const context = await browser.newContext();
    const page = await openDemo(context);
    await openPanel(page);
    await send(page, 'please pick a size');
    const chips = page.locator(W).locator('.quick .chip');
    await expect.poll(() => chips.allTextContents()).toEqual(['Small', 'Large']);
    expect(await lastAssistant(page).textContent()).toBe('Which size?');
    expect(await inWidget(page, 'return root.querySelector(".log").textContent')).not.toContain('[[');
    await page.reload();
    await page.locator(W).locator('.launcher').waitFor();
    await openPanel(page);
    await expect.poll(() => chips.allTextContents()).toEqual(['Small', 'Large']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'widget-quick-replies.png') });
    await chips.nth(1).click();
    await expect.poll(() => lastAssistant(page).textContent()).toBe('Large it is.');
    expect(await page.locator(W).locator('.msg.user').last().textContent()).toBe('Large');
    expect(await chips.count()).toBe(0);
    await context.close();
  });

  it('keeps keyboard focus in the panel after sending with the send button or a quick reply', async () => {
    const context = await browser.newContext();
    const page = await openDemo(context);
    await openPanel(page);
    const focused = () => inWidget<string | null>(page, 'return root.activeElement?.tagName ?? null');
    await page.locator(W).locator('.panel textarea').fill('please pick a size');
    await page.locator(W).locator('.send').focus();
    await page.keyboard.press('Enter');
    const chips = page.locator(W).locator('.quick .chip');
    await expect.poll(() => chips.allTextContents()).toEqual(['Small', 'Large']);
    // The send button is disabled while the reply comes: focus must not fall out of the dialog.
    expect(await focused()).toBe('TEXTAREA');
    await chips.nth(1).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => lastAssistant(page).textContent()).toBe('Large it is.');
    // The pressed chip is gone: focus goes to the input, not to the page behind the dialog.
    expect(await focused()).toBe('TEXTAREA');
    await context.close();
  });

  it("keeps the host page's CSS out of the widget and the widget's CSS out of the page", async () => {
    const context = await browser.newContext();
    const page = await openDemo(context);
    await page.addStyleTag({
      content:
        '* { color: red !important; font-family: serif !important } button { background: lime !important }',
    });
    await page.evaluate(() => {
      const p = document.createElement('p');
      p.className = 'msg user launcher';
      p.id = 'host-probe';
      p.textContent = 'host paragraph';
      document.body.append(p);
    });
    await openPanel(page);
    const style = (selector: string, prop: string) =>
      inWidget<string>(page, `return getComputedStyle(root.querySelector('${selector}')).${prop}`);
    expect(await style('.greeting', 'color')).not.toBe('rgb(255, 0, 0)');
    expect(await style('.greeting', 'fontFamily')).not.toMatch(/^serif/);
    expect(await style('.launcher', 'backgroundColor')).toBe('rgb(0, 132, 255)');
    const probe = await page.evaluate(() => {
      const s = getComputedStyle(document.getElementById('host-probe') as HTMLElement);
      return { position: s.position, background: s.backgroundColor, color: s.color };
    });
    expect(probe).toEqual({ position: 'static', background: 'rgba(0, 0, 0, 0)', color: 'rgb(255, 0, 0)' });
    await context.close();
  });

  it('follows a theme change made through the API after a reload, with readable text on any colour', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await openDemo(context);
    await setWebsite({
      enabled: true,
      theme: { primary_color: '#ffd600', position: 'bottom-left', greeting_message: 'Ahoy from the left!' },
    });
    await page.reload();
    await expect.poll(() => launcherStyle(page, 'background-color')).toBe('rgb(255, 214, 0)');
    const box = await page.locator(W).locator('.launcher').boundingBox();
    expect(box && box.x).toBeLessThan(100);
    // Yellow gets dark text; navy gets white text.
    expect(await launcherStyle(page, 'color')).toBe('rgb(0, 0, 0)');
    await openPanel(page);
    expect(await page.locator(W).locator('.greeting').textContent()).toBe('Ahoy from the left!');

    await setWebsite({ enabled: true, theme: { primary_color: '#1a237e', position: 'bottom-right' } });
    await page.reload();
    await expect.poll(() => launcherStyle(page, 'color')).toBe('rgb(255, 255, 255)');
    const right = await page.locator(W).locator('.launcher').boundingBox();
    expect(right && right.x).toBeGreaterThan(1280 / 2);
    await setWebsite({
      enabled: true,
      theme: {
        primary_color: '#0084ff',
        position: 'bottom-right',
        greeting_message: 'Hello! How can I help you?',
      },
    });
    await context.close();
  });

  it('is keyboard operable: Enter opens, focus stays in the panel, Escape closes and returns focus', async () => {
    const context = await browser.newContext();
    const page = await openDemo(context);
    const launcher = page.locator(W).locator('.launcher');
    expect(await launcher.getAttribute('aria-label')).toBe('Open chat');
    await launcher.focus();
    await page.keyboard.press('Enter');
    await page.locator(W).locator('.panel textarea').waitFor();
    expect(await launcher.getAttribute('aria-expanded')).toBe('true');
    expect(await page.locator(W).locator('.panel').getAttribute('role')).toBe('dialog');
    expect(await page.locator(W).locator('.log').getAttribute('role')).toBe('log');
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press(i % 2 ? 'Shift+Tab' : 'Tab');
      await page.keyboard.press('Tab');
      const where = await inWidget<string | null>(
        page,
        'return document.activeElement?.id === "switchboard-widget" && root.activeElement?.closest(".panel") ? root.activeElement.className || root.activeElement.tagName : null',
      );
      expect(where).not.toBeNull();
      seen.add(where as string);
    }
    expect(seen.size).toBeGreaterThan(1);
    await page.keyboard.press('Escape');
    await page.locator(W).locator('.panel').waitFor({ state: 'hidden' });
    expect(await inWidget(page, 'return root.activeElement?.className')).toBe('launcher');
    expect(await launcher.getAttribute('aria-expanded')).toBe('false');
    await context.close();
  });

  it('shows human states: rate limited with the retry time, too long, offline, model failure, origin, disabled', async () => {
    const context = await browser.newContext();
    const page = await openDemo(context);
    await openPanel(page);

    await page.route('**/messages/stream', (route) =>
      route.fulfill({
        status: 429,
        headers: { 'retry-after': '42', 'content-type': 'application/json' },
        body: JSON.stringify({ success: false, error: 'Too many requests; retry in 42 s' }),
      }),
    );
    await send(page, 'hello there');
    await expect.poll(() => notice(page).textContent()).toMatch(/too quickly.*try again in 4[12] seconds/i);
    expect(await page.locator(W).locator('.panel textarea').inputValue()).toBe('hello there');
    expect(await page.locator(W).locator('.send').isDisabled()).toBe(true);
    await page.unrouteAll();
    await page.reload();
    await openPanel(page);

    await page.locator(W).locator('.panel textarea').fill('x'.repeat(4001));
    expect(await page.locator(W).locator('.send').isDisabled()).toBe(true);
    expect(await page.locator(W).locator('.count').textContent()).toBe('4001 / 4000');
    await page.locator(W).locator('.panel textarea').press('Enter');
    await expect.poll(() => notice(page).textContent()).toMatch(/too long.*4000/);

    await context.setOffline(true);
    await send(page, 'are you there?');
    await expect.poll(() => notice(page).textContent()).toMatch(/offline/i);
    await context.setOffline(false);

    await page.route('**/messages/stream', (route) =>
      route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: 'event: connected\ndata: {"ok":true}\n\nevent: error\ndata: {"error":"LLM request failed","status":502}\n\n',
      }),
    );
    await send(page, 'answer me');
    await expect.poll(() => notice(page).textContent()).toMatch(/couldn't answer/);
    await page.unrouteAll();

    const forbidden = await context.newPage();
    await forbidden.route('**/settings', (route) =>
      route.fulfill({
        status: 403,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ success: false, error: 'Origin not allowed' }),
      }),
    );
    await forbidden.goto(demoUrl());
    await openPanel(forbidden);
    await expect.poll(() => notice(forbidden).textContent()).toMatch(/isn't allowed to use this chat/);

    const unknown = await openDemo(context, `${app.url}/widget/demo?agent=${newId('agent')}`);
    await openPanel(unknown);
    await expect.poll(() => notice(unknown).textContent()).toMatch(/not available/);
    expect(await unknown.locator(W).locator('.send').isDisabled()).toBe(true);
    await context.close();
  });

  it('a dropped stream reconnects and picks up the final reply from the history', async () => {
    const context = await browser.newContext();
    const page = await openDemo(context);
    await openPanel(page);
    await page.route('**/messages/stream', async (route) => {
      const real = await route.fetch();
      const events = (await real.text()).split('\n\n');
      // Only `connected` and the first chunk get through; then the connection ends.
      await route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: `${events.slice(0, 2).join('\n\n')}\n\n`,
      });
    });
    await send(page, 'will this survive?');
    await expect.poll(() => lastAssistant(page).textContent(), { timeout: 10_000 }).toBe(PLAIN_REPLY);
    expect(await notice(page).isHidden()).toBe(true);
    await context.close();
  });

  it('a dropped stream whose turn failed says so and keeps the sent message (no resend, no duplicate)', async () => {
    const context = await browser.newContext();
    const page = await openDemo(context);
    await openPanel(page);
    await page.route('**/messages/stream', async (route) => {
      const real = await route.fetch();
      await real.text();
      // The server took the message (and its turn failed), but only `connected` reaches the widget.
      await route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: 'event: connected\ndata: {"ok":true}\n\n',
      });
    });
    await send(page, 'this one cannot be answered');
    // Longer than the widget's whole recovery window (about 16 s), so the outcome is judged, not the speed.
    await expect
      .poll(() => notice(page).textContent(), { timeout: 25_000 })
      .toMatch(/offline|couldn't answer/);
    expect(await notice(page).textContent()).toMatch(/couldn't answer/);
    expect(await page.locator(W).locator('.msg.user').allTextContents()).toEqual([
      'this one cannot be answered',
    ]);
    // The message is on the server: it is not handed back to be sent (and stored) a second time.
    expect(await page.locator(W).locator('.panel textarea').inputValue()).toBe('');
    await context.close();
  });

  it('has a JS API: open, close, events, and identify with a verified identity', async () => {
    await setWebsite({ enabled: true, widget_secret: widgetSecret });
    const context = await browser.newContext();
    const page = await openDemo(context);
    await page.waitForFunction(() => 'Switchboard' in window);
    const events = await page.evaluate(async () => {
      const sb = (window as unknown as { Switchboard: any }).Switchboard;
      const seen: string[] = [];
      sb.on('open', () => seen.push('open'));
      sb.on('close', () => seen.push('close'));
      window.addEventListener('switchboard:open', () => seen.push('window:open'));
      sb.open();
      const opened = sb.isOpen;
      sb.close();
      return { seen, opened, closed: !sb.isOpen };
    });
    expect(events).toEqual({ seen: ['open', 'window:open', 'close'], opened: true, closed: true });
    const email = 'visitor@example.com';
    const verified = await identify(page, email);
    expect(verified).toBe(true);
    const forged = await page.evaluate(
      ([user_identifier]) =>
        (window as unknown as { Switchboard: any }).Switchboard.identify({
          user_identifier,
          user_hash: 'ab'.repeat(32),
        }),
      [email],
    );
    expect(forged).toBe(false);
    await context.close();
  });

  it('Switchboard.reset() ends the visitor when the host page logs its user out: no identity or history left', async () => {
    await setWebsite({ enabled: true, widget_secret: widgetSecret });
    const context = await browser.newContext();
    const page = await openDemo(context);
    await page.waitForFunction(() => 'Switchboard' in window);
    const email = 'leaving@example.com';
    const verified = await identify(page, email);
    expect(verified).toBe(true);
    await openPanel(page);
    await send(page, 'my private order 123');
    await expect.poll(() => lastAssistant(page).textContent()).toBe(PLAIN_REPLY);

    const other = await openDemo(context);
    await openPanel(other);
    await expect
      .poll(() => other.locator(W).locator('.msg.user').allTextContents())
      .toEqual(['my private order 123']);

    const announced = "return root.querySelector('.sr[aria-live=polite]')?.textContent ?? ''";
    expect(await inWidget<string>(page, announced)).toContain(PLAIN_REPLY);
    await page.evaluate(() => (window as unknown as { Switchboard: any }).Switchboard.reset());
    expect(await page.locator(W).locator('.msg:not(.greeting)').count()).toBe(0);
    // Nor does the screen-reader announcement of the last reply stay in the page.
    expect(await inWidget<string>(page, announced)).toBe('');
    // Every open tab forgets the visitor too (none keeps the token in memory and writes it back).
    await expect.poll(() => other.locator(W).locator('.msg:not(.greeting)').count()).toBe(0);
    const stored = await page.evaluate(() =>
      Object.keys(localStorage).filter((key) => key.startsWith('switchboard:')),
    );
    expect(stored).toEqual([]);
    // The next person on this browser starts as a new, unverified visitor.
    await page.reload();
    await openPanel(page);
    await send(page, 'hello, who am I?');
    await expect.poll(() => lastAssistant(page).textContent()).toBe(PLAIN_REPLY);
    expect(await page.locator(W).locator('.msg.user').allTextContents()).toEqual(['hello, who am I?']);
    await context.close();
  });

  it('Switchboard.reset() while a reply streams: the old reply is never shown, announced or emitted', async () => {
    await setWebsite({ enabled: true, widget_secret: widgetSecret });
    const context = await browser.newContext();
    const page = await openDemo(context);
    await page.waitForFunction(() => 'Switchboard' in window);
    expect(await identify(page, 'mid-stream@example.com')).toBe(true);
    await page.evaluate(() => {
      const w = window as unknown as { Switchboard: any; seen: unknown[] };
      w.seen = [];
      w.Switchboard.on('message', (m: unknown) => w.seen.push(m));
    });
    const stored = () =>
      app.database.query<{ n: number }>(
        `select count(*)::int as n from messages where role = 'assistant' and content like 'Which size?%'`,
      );
    const before = (await stored())[0]!.n;
    // The reply's first piece streams in, and the rest waits until the visitor was reset.
    const rest = Promise.withResolvers<void>();
    fake.enqueue({ reply: 'Which size?\n[[buttons: Small | Large]]', holdAfterFirstChunk: rest.promise });
    await openPanel(page);
    await send(page, 'please pick a size for me');
    await lastAssistant(page).waitFor();
    await page.evaluate(() => (window as unknown as { Switchboard: any }).Switchboard.reset());
    rest.resolve();
    // The server still finishes and stores it for the old visitor.
    await expect.poll(async () => (await stored())[0]!.n).toBe(before + 1);
    await page.waitForTimeout(300);
    expect(await page.locator(W).locator('.msg:not(.greeting)').count()).toBe(0);
    expect(await page.locator(W).locator('.chip').count()).toBe(0);
    expect(
      await inWidget<string>(page, "return root.querySelector('.sr[aria-live=polite]')?.textContent ?? ''"),
    ).not.toMatch(/Which size/);
    const seen = await page.evaluate(() => (window as unknown as { seen: { role: string }[] }).seen);
    expect(seen.map((m) => m.role)).toEqual(['user']);
    expect(await page.locator(W).locator('.panel textarea').inputValue()).toBe('');
    await context.close();
  });

  it('embeds on another origin with the one-line snippet (CORP + CORS), and honours allowed_origins', async () => {
    const hostPage = (agent: string) =>
      `<!doctype html><html><body><h1>Shop</h1><script src="${app.url}/widget.js" data-agent-id="${agent}" async></script></body></html>`;
    // Two host sites on their own ports (other origins than the server's), serving the one-line snippet.
    const hosts = await Promise.all([0, 1].map(() => startHostSite(hostPage(agentId))));
    const [shop, evilOrigin] = hosts.map((h) => h.url) as [string, string];
    await setWebsite({ enabled: true, allowed_origins: [shop] });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${shop}/product`);
      await page.locator(W).locator('.launcher').click();
      await send(page, 'hello from the shop');
      await expect.poll(() => lastAssistant(page).textContent(), { timeout: 10_000 }).toBe(PLAIN_REPLY);

      const evil = await context.newPage();
      await evil.goto(`${evilOrigin}/`);
      await evil.locator(W).locator('.launcher').click();
      await expect.poll(() => notice(evil).textContent()).toMatch(/isn't allowed to use this chat/);
    } finally {
      await setWebsite({ enabled: true, allowed_origins: [] });
      await context.close();
      await Promise.all(hosts.map((h) => h.close()));
    }
  });

  it('goes full-screen on a 390×844 phone with 16px inputs (no zoom on focus)', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    const page = await openDemo(context);
    await page.locator(W).locator('.launcher').tap();
    await page.locator(W).locator('.panel textarea').waitFor();
    const box = await page.locator(W).locator('.panel').boundingBox();
    expect(box).toEqual({ x: 0, y: 0, width: 390, height: 844 });
    expect(
      await page
        .locator(W)
        .locator('.panel textarea')
        .evaluate((el) => getComputedStyle(el).fontSize),
    ).toBe('16px');
    expect(await page.locator(W).locator('.launcher').isHidden()).toBe(true);
    // The on-screen keyboard shrinks the visual viewport (headless Chromium has none, so shadow its size):
    // the panel must follow, keeping the input above the keyboard.
    const keyboard = (height: number | null) =>
      page.evaluate((h) => {
        const vv = window.visualViewport as VisualViewport;
        if (h === null) delete (vv as unknown as Record<string, unknown>).height;
        else Object.defineProperty(vv, 'height', { configurable: true, get: () => h });
        vv.dispatchEvent(new Event('resize'));
      }, height);
    await keyboard(500);
    expect((await page.locator(W).locator('.panel').boundingBox())?.height).toBe(500);
    const input = await page.locator(W).locator('.panel textarea').boundingBox();
    expect((input?.y ?? 0) + (input?.height ?? 0)).toBeLessThanOrEqual(500);
    await keyboard(null);
    expect((await page.locator(W).locator('.panel').boundingBox())?.height).toBe(844);
    await send(page, 'hello from my phone');
    await expect.poll(() => lastAssistant(page).textContent()).toBe(PLAIN_REPLY);
    await page.screenshot({ path: path.join(ARTIFACTS, 'widget-mobile.png') });
    await page.locator(W).locator('.close').tap();
    await page.locator(W).locator('.launcher').waitFor();
    await context.close();
  });
});

describe.skipIf(!haveChromium && !process.env.CI)('a fresh npm start, in Chromium', () => {
  it('opens the printed demo URL and chats with the demo agent (dev provider, no key)', async () => {
    // Migrated already (initdb is first-run.test's subject); the first run's bootstrap and banner still happen.
    const dataDir = migratedDataDir('sb-widget-');
    const server = spawnServer({ DATA_DIR: dataDir });
    const chrome = await launchChromium();
    try {
      await listeningUrl(server);
      const demo = await waitFor('the demo URL', () => /Widget demo\s+(\S+)/.exec(server.stdout())?.[1]);
      const page = await chrome.newPage();
      await page.goto(demo);
      await page.locator(W).locator('.launcher').click();
      await send(page, 'Hello from a fresh clone');
      await expect
        .poll(() => lastAssistant(page).textContent(), { timeout: 15_000 })
        .toMatch(/Hello from a fresh clone[\s\S]*No LLM is configured/i);
    } finally {
      await chrome.close();
      server.child.kill('SIGKILL');
      await server.exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
