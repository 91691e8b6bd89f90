import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  launchChromium,
  loginThroughForm,
  newConsolePage,
  PHONE,
  runBrowserTests,
  screenshots,
  navLink,
} from '../helpers/console.ts';
import { createWorkspace, type Workspace } from '../helpers/fixtures.ts';

/** The console's shell in Chromium: login form, cookie session, navigation, phone layout, strict CSP. */
describe.skipIf(!runBrowserTests)('console shell in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  let ws: Workspace;

  beforeAll(async () => {
    app = await startTestApp();
    ws = await createWorkspace(app, 'console-owner');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('logs in through the form with an httpOnly cookie, shows the chosen agent and navigates', async () => {
    const { page, problems, close } = await newConsolePage(browser);
    await page.goto(`${app.url}/console`);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByLabel('Email').fill(ws.owner.email);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Invalid email or password');

    await loginThroughForm(page, app.url, ws.owner);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'sb_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    // Page scripts cannot read the session token.
    expect(await page.evaluate(() => document.cookie)).not.toContain('sb_session');
    await expect
      .poll(() => page.getByRole('banner').getByLabel('Agent', { exact: true }).inputValue())
      .toBe(ws.agentId);

    await navLink(page, 'Analytics').click();
    await expect.poll(() => page.url()).toContain('#/analytics');
    // The hash changes before the page re-renders: wait for the link to be marked and the title to follow.
    await expect.poll(() => navLink(page, 'Analytics').getAttribute('aria-current')).toBe('page');
    await expect.poll(() => page.title()).toBe('Analytics · Switchboard');
    await screenshots(page, 'shell');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect((await page.context().cookies()).some((c) => c.name === 'sb_session')).toBe(false);
    expect(problems).toEqual([]);
    await close();
  });

  it('at 390 px the navigation folds behind a Menu button that opens it', async () => {
    const { page, problems, close } = await newConsolePage(browser, PHONE);
    await loginThroughForm(page, app.url, ws.owner);
    const nav = page.getByRole('navigation', { name: 'Console' });
    expect(await nav.isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Menu' }).click();
    expect(await nav.isVisible()).toBe(true);
    await navLink(page, 'Contacts').click();
    await expect.poll(() => nav.isVisible()).toBe(false);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(problems).toEqual([]);
    await close();
  });

  it('blocks an inline script injected into the page (strict CSP)', async () => {
    const { page, close } = await newConsolePage(browser);
    await page.goto(`${app.url}/console`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.body.append(script);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
    });
    expect(ran).toBe(false);
    await close();
  });
});
