import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  launchChromium,
  loginThroughForm,
  newConsolePage,
  type ConsolePage,
  runBrowserTests,
  screenshots,
} from '../helpers/console.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { startTelegramApp, type TelegramApp } from '../helpers/telegram-app.ts';

/** Waiting bound for conditions polled through the page (not a speed assertion; a loaded machine is slow). */
const POLL = { timeout: 30_000 };

/**
 * The Contacts page in Chromium against the real server: two people write on Telegram (fake Bot API), the
 * operator finds them, merges one into the other with the confirm dialog, splits the identity back out, and
 * erases a contact after typing its name. Every step is checked against the Contacts API.
 */
// A cold server (migrations, the engine) on a loaded machine is slow to start; these are outer bounds only.
describe.skipIf(!runBrowserTests)('console contacts in Chromium', { timeout: 300_000 }, () => {
  let tg: TelegramApp;
  let browser: Browser;
  let session: ConsolePage;
  let page: Page;
  const ana = { id: 0, first_name: 'Ana' };
  const bea = { id: 0, first_name: 'Bea' };

  const contactsPath = () =>
    `/api/v1/organizations/${tg.ws.orgId}/projects/${tg.ws.projectId}/agents/${tg.ws.agentId}/contacts`;
  const api = async (path: string) => {
    const res = await tg.app.call('GET', `${contactsPath()}${path}`, { token: tg.ws.owner.token });
    return res;
  };
  const contactOf = async (user: { id: number }) => {
    const res = await api(`?platform_id=telegram:${user.id}`);
    expect(res.body.data, `contact of telegram:${user.id}`).toHaveLength(1);
    return res.body.data[0] as { _id: string; identities: { _id: string }[] };
  };
  /** A Telegram user writes; resolves once the agent answered them (their contact exists by then). */
  const write = async (user: { id: number; first_name: string }, text: string) => {
    const before = tg.fake.callsOf('sendMessage', user.id).length;
    expect(await tg.fake.deliver(tg.fake.textUpdate(user, text))).toBe(200);
    await eventually(() => tg.fake.callsOf('sendMessage', user.id).length > before || undefined, 30_000);
  };

  beforeAll(async () => {
    tg = await startTelegramApp();
    Object.assign(ana, tg.user('Ana'));
    Object.assign(bea, tg.user('Bea'));
    browser = await launchChromium();
    session = await newConsolePage(browser);
    page = session.page;
    // Playwright's waits (30 s by default) are outer bounds; a machine shared by many test runs needs more.
    page.setDefaultTimeout(120_000);
    await loginThroughForm(page, tg.app.url, tg.ws.owner);
  }, 600_000);
  afterAll(async () => {
    await session?.close();
    await browser?.close();
    await tg?.close();
  });

  it('tells a new user where contacts come from when there are none', async () => {
    await page.goto(`${tg.app.url}/console#/contacts`);
    await page.getByRole('heading', { name: 'No contacts yet' }).waitFor();
    expect(await page.getByRole('link', { name: 'Channels' }).count()).toBeGreaterThan(0);
    await screenshots(page, 'contacts-empty');
  });

  it('lists and searches contacts by name and platform id', async () => {
    await write(ana, 'Hello, where is my order?');
    await write(bea, 'Hi from my other account.');
    await page.reload();
    const list = page.getByRole('list', { name: 'Contacts' });
    await expect.poll(() => list.getByRole('link').count(), POLL).toBe(2);
    await screenshots(page, 'contacts-list');

    await page.getByRole('searchbox', { name: 'Search contacts' }).fill('Bea');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(() => list.getByRole('link').allTextContents(), POLL)
      .toEqual([expect.stringContaining('Bea')]);

    await page.getByLabel('Search in').selectOption('platform_id');
    await page.getByRole('searchbox', { name: 'Search contacts' }).fill(`telegram:${ana.id}`);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(() => list.getByRole('link').allTextContents(), POLL)
      .toEqual([expect.stringContaining('Ana')]);

    await page.getByLabel('Search in').selectOption('q');
    await page.getByRole('searchbox', { name: 'Search contacts' }).fill('nobody-like-this');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: 'No contact matches' }).waitFor();
  });

  it("shows a contact's identities and conversations, linked to the inbox", async () => {
    const contact = await contactOf(ana);
    const detail = (await api(`/${contact._id}`)).body.data;
    await page.goto(`${tg.app.url}/console#/contacts/${contact._id}`);
    await page.getByRole('heading', { name: 'Ana', level: 1 }).waitFor();
    const identities = page.getByRole('list', { name: 'Identities' });
    expect(await identities.textContent()).toContain(`telegram:${ana.id}`);
    expect(await identities.textContent()).toContain('Not verified');
    expect(await identities.getByRole('img', { name: 'Telegram' }).count()).toBe(1);
    const conversation = page.getByRole('list', { name: 'Conversations' }).getByRole('link');
    expect(await conversation.getAttribute('href')).toBe(`#/inbox/${detail.conversations[0]._id}`);
    // One identity: nothing to split.
    expect(await page.getByRole('button', { name: /^Split / }).count()).toBe(0);
  });

  it('merges another contact in after the confirm dialog, then splits it back out', async () => {
    const target = await contactOf(ana);
    const source = await contactOf(bea);
    await page.goto(`${tg.app.url}/console#/contacts/${target._id}`);
    await page.getByRole('button', { name: 'Merge another contact into this one…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Find the other contact').fill('Bea');
    await dialog.getByRole('button', { name: 'Find' }).click();
    await dialog.getByRole('button', { name: 'Choose Bea' }).click();
    await dialog.getByRole('heading', { name: 'Merge Bea into Ana?' }).waitFor();
    expect(await dialog.textContent()).toContain('No message is lost');
    await screenshots(page, 'contacts-merge-confirm');
    await dialog.getByRole('button', { name: 'Merge contacts' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Merged Bea into Ana: 1 identity and 1 conversation moved' })
      .waitFor();
    expect(await dialog.count()).toBe(0);

    const merged = (await api(`/${target._id}`)).body.data;
    expect(merged.identities.map((i: { platform_user_id: string }) => i.platform_user_id).sort()).toEqual(
      [`telegram:${ana.id}`, `telegram:${bea.id}`].sort(),
    );
    expect(merged.conversation_count).toBe(2);
    expect((await api('')).body.pagination.total).toBe(1);
    await expect
      .poll(() => page.getByRole('list', { name: 'Conversations' }).getByRole('link').count(), POLL)
      .toBe(2);
    await screenshots(page, 'contacts-detail');

    // The merged contact's old address explains where it went.
    await page.goto(`${tg.app.url}/console#/contacts/${source._id}`);
    await page.getByRole('heading', { name: 'This contact was merged' }).waitFor();
    expect(
      await page.getByRole('link', { name: 'the contact it was merged into' }).getAttribute('href'),
    ).toBe(`#/contacts/${target._id}`);
    // Its 404 is the browser's only complaint so far (the API's answer for a merged contact).
    expect(session.problems).toEqual([expect.stringContaining('status of 404')]);
    session.problems.length = 0;

    // Split Bea's identity back out: her conversation goes with it.
    await page.goto(`${tg.app.url}/console#/contacts/${target._id}`);
    await page.getByRole('button', { name: `Split telegram:${bea.id} into a new contact` }).click();
    expect(await page.getByRole('dialog').textContent()).toContain('never link this identity');
    await page.getByRole('dialog').getByRole('button', { name: 'Split into a new contact' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'is now a separate contact' });
    await notice.waitFor();
    expect(await notice.textContent()).toContain('took 1 conversation');
    const after = (await api(`/${target._id}`)).body.data;
    expect(after.identities).toHaveLength(1);
    expect(after.conversation_count).toBe(1);
    const split = await contactOf(bea);
    expect(split._id).not.toBe(target._id);
    expect((await api(`/${split._id}`)).body.data.conversation_count).toBe(1);
    expect(await page.getByRole('button', { name: /^Split / }).count()).toBe(0);

    await notice.getByRole('link', { name: 'open the new contact' }).click();
    await page.getByText(`telegram:${bea.id}`).first().waitFor();
    await expect.poll(() => page.url(), POLL).toContain(`#/contacts/${split._id}`);
  });

  it('erases a contact only after its name is typed (admin)', async () => {
    const doomed = await contactOf(bea);
    const name = (await api(`/${doomed._id}`)).body.data.display_name as string;
    await page.goto(`${tg.app.url}/console#/contacts/${doomed._id}`);
    await page.getByRole('button', { name: 'Erase contact…' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Erase for good' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/to confirm/).fill('wrong name');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/to confirm/).fill(name);
    await screenshots(page, 'contacts-erase-confirm');
    await confirm.click();
    await expect.poll(() => page.url(), POLL).toMatch(/#\/contacts$/);
    expect((await api(`/${doomed._id}`)).status).toBe(404);
    expect((await api('')).body.pagination.total).toBe(1);
    expect(session.problems).toEqual([]);
  });
});
