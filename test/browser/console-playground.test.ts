import { afterAll, describe, expect, it } from 'vitest';
import type { Browser, Locator } from 'playwright-core';
import {
  launchChromium,
  loginThroughForm,
  newConsolePage,
  runBrowserTests,
  screenshots,
  navLink,
} from '../helpers/console.ts';
import { listeningUrl } from '../helpers/process.ts';
import { serverRuns } from '../helpers/server-runs.ts';

/**
 * Issue 18's first "Done when": a FRESH `npm start` (empty DATA_DIR, no LLM key) → log in with the printed
 * first-run credentials through the console's form → open the playground → write as a WhatsApp customer and as an
 * email customer → the demo agent (built-in `dev` provider) answers, and each reply shows as that channel renders it.
 */

/** Outer bound for a wait on the engine (turn debounce, a cold embedded database on a loaded machine). */
const WAIT_MS = 120_000;
const text = (locator: Locator) => locator.textContent({ timeout: WAIT_MS });

describe.skipIf(!runBrowserTests)('playground on a fresh npm start, in Chromium', () => {
  const { start, migratedDataDir } = serverRuns();
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
  });

  it('logs in with the printed credentials and shows WhatsApp, Telegram and email replies as each channel renders them', async () => {
    const server = start({ DATA_DIR: migratedDataDir() });
    const url = await listeningUrl(server);
    const banner = server.stdout();
    const email = /Login email\s+(\S+)/.exec(banner)?.[1];
    const password = /Login password\s+(\S+)/.exec(banner)?.[1];
    expect(email).toBe('admin@switchboard.local');
    expect(password).toBeTruthy();

    browser = await launchChromium();
    const { page, problems, close } = await newConsolePage(browser);
    await loginThroughForm(page, url, { email: email as string, password: password as string });
    await navLink(page, 'Playground').click();
    await page.getByRole('heading', { name: 'Playground' }).waitFor();

    // WhatsApp (the default channel): markdown in the agent's reply arrives as WhatsApp markup, shown styled.
    await page.getByLabel('Your message').fill('Please make this **bold** and _this italic_');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const chat = page.getByRole('list', { name: 'WhatsApp chat' });
    const customer = chat.locator('.from-customer').first();
    expect(await text(customer)).toContain('Please make this **bold** and _this italic_');
    const reply = chat.locator('.from-agent').first();
    await reply.locator('.delivery-delivered').waitFor({ timeout: WAIT_MS });
    expect(await text(reply)).toContain('No LLM is configured for this agent');
    expect(await text(reply.locator('strong').first())).toBe('bold');
    expect(await text(reply.locator('em').first())).toBe('this italic');
    // No markup characters are left around the styled words.
    expect(await text(reply)).not.toContain('*bold*');
    await screenshots(page, 'playground-whatsapp');

    // Telegram: the reply is the Bot API's HTML, rendered (sanitized) as elements.
    await page.getByRole('link', { name: 'Telegram' }).click();
    await page.getByLabel('Your message').fill('Say **hi** <b>safely</b>');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const tgReply = page.getByRole('list', { name: 'Telegram chat' }).locator('.from-agent').first();
    await tgReply.locator('.delivery-delivered').waitFor({ timeout: WAIT_MS });
    expect(await text(tgReply.locator('.tg-html strong').first())).toBe('hi');
    // The customer's literal tag was escaped by the adapter, so it shows as text, not markup.
    expect(await text(tgReply.locator('.tg-html'))).toContain('<b>safely</b>');
    await screenshots(page, 'playground-telegram');

    // Email: the reply is the mail as sent — Re: subject, threading headers, HTML, text and MIME source.
    await page.getByRole('link', { name: 'Email' }).click();
    await page.getByLabel('Subject').fill('Order 42');
    await page.getByLabel('Your email').fill('Where is **my order**?');
    await page.getByRole('button', { name: 'Send email' }).click();
    const mail = page.getByRole('article', { name: "Agent's reply" }).first();
    await mail.locator('.delivery-delivered').waitFor({ timeout: WAIT_MS });
    const header = (name: string, of = mail) =>
      of
        .locator('.mail-header')
        .filter({ has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) })
        .locator('dd');
    expect(await text(header('Subject'))).toBe('Re: Order 42');
    expect(await text(header('To'))).toMatch(/@sandbox\.invalid$/);
    expect(await text(header('In-Reply-To'))).toMatch(/^<.+@sandbox\.invalid>$/);
    expect(await text(mail.locator('.mail-html strong').first())).toBe('my order');
    await mail.getByRole('button', { name: 'MIME source' }).click();
    const mime = await text(mail.locator('pre.mail-mime'));
    expect(mime).toMatch(/^Subject: Re: Order 42$/m);
    expect(mime).toContain('Content-Type: multipart/alternative');
    await screenshots(page, 'playground-email');

    // The customer answers in the thread: the next reply threads on that answer.
    await page.getByLabel('Your email').fill('Thanks!');
    await page.getByRole('button', { name: 'Send email' }).click();
    const second = page.getByRole('article', { name: "Agent's reply" }).nth(1);
    await second.locator('.delivery-delivered').waitFor({ timeout: WAIT_MS });
    expect(await text(header('Subject', second))).toBe('Re: Order 42');
    expect(await text(header('References', second))).toContain((await text(header('Message-ID'))) as string);

    expect(problems).toEqual([]);
    await close();
  }, 600_000);
});
