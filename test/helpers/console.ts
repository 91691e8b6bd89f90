import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestUser } from './fixtures.ts';

/**
 * The operator console in a real browser: Debian's Chromium (never a downloaded one) driven by playwright-core.
 * Screenshots go to test-artifacts/console/<name>-1440.png and -390.png.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = fs.existsSync(CHROMIUM);
/** Browser tests run where Chromium exists; under CI a missing Chromium fails instead of skipping. */
export const runBrowserTests = haveChromium || Boolean(process.env.CI);
export const CONSOLE_ARTIFACTS = path.resolve('test-artifacts', 'console');

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });

export const DESKTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** A new page (own cookie jar) at desktop size that records console errors and CSP violations. */
export async function newConsolePage(browser: Browser, viewport = DESKTOP): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    // A 401 is how the console learns it is logged out; every other failed load is a problem.
    if (message.type() === 'error' && !/status of 401/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  return { page, problems, close: () => context.close() };
}

export type ConsolePage = { page: Page; problems: string[]; close: () => Promise<void> };

/** Opens /console and logs in through the form; resolves once the shell is shown. */
export async function loginThroughForm(
  page: Page,
  baseUrl: string,
  user: Pick<TestUser, 'email' | 'password'>,
) {
  await page.goto(`${baseUrl}/console`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Full-page screenshots of the current page at 1440 px and 390 px wide. */
export async function screenshots(page: Page, name: string): Promise<void> {
  fs.mkdirSync(CONSOLE_ARTIFACTS, { recursive: true });
  const before = page.viewportSize() ?? DESKTOP;
  for (const size of [DESKTOP, PHONE]) {
    await page.setViewportSize(size);
    await page.screenshot({
      path: path.join(CONSOLE_ARTIFACTS, `${name}-${size.width}.png`),
      fullPage: true,
    });
  }
  await page.setViewportSize(before);
}

/** A link in the console's side navigation; pages may link to the same place, so scope to the nav. */
export const navLink = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true });
