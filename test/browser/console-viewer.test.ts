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
import { addMember, registerUser, type TestUser } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { randomSecret } from '../helpers/secrets.ts';
import { startTelegramApp, type TelegramApp } from '../helpers/telegram-app.ts';

/** Waiting bound for conditions polled through the page (not a speed assertion; a loaded machine is slow). */
const POLL = { timeout: 30_000 };

/**
 * Button names that change something. A viewer's console must show none of them enabled, on any page: the role
 * system hides every write control (and the API refuses the writes anyway, checked below).
 */
const WRITE_NAMES =
  /\b(save|create|add|new|edit|delete|remove|invite|send|reply|revoke|merge|split|erase|take over|resume|close|test|set up|connect|disconnect|enable|disable|update|change|upload|store|rotate|cancel invitation)\b/i;

/**
 * A viewer in Chromium: every console page (with real data behind it: a Telegram contact and conversation, an LLM
 * key, a second member) shows no enabled write control and no form but search forms; and writes forged from the
 * viewer's own browser, with a valid CSRF header, are refused by the API with 403 for the viewer's role.
 */
// A cold server (migrations, the engine) on a loaded machine is slow to start; these are outer bounds only.
describe.skipIf(!runBrowserTests)('console as a viewer in Chromium', { timeout: 300_000 }, () => {
  let tg: TelegramApp;
  let browser: Browser;
  let viewer: TestUser;
  let session: ConsolePage;
  let page: Page;
  let contactId: string;
  let conversationId: string;

  const agentPath = () =>
    `/api/v1/organizations/${tg.ws.orgId}/projects/${tg.ws.projectId}/agents/${tg.ws.agentId}`;
  const projectPath = () => `/api/v1/organizations/${tg.ws.orgId}/projects/${tg.ws.projectId}`;

  beforeAll(async () => {
    tg = await startTelegramApp();
    const vera = tg.user('Vera');
    const before = tg.fake.callsOf('sendMessage', vera.id).length;
    expect(await tg.fake.deliver(tg.fake.textUpdate(vera, 'Hello there'))).toBe(200);
    await eventually(() => tg.fake.callsOf('sendMessage', vera.id).length > before || undefined, 30_000);
    const contacts = await tg.app.call('GET', `${agentPath()}/contacts`, { token: tg.ws.owner.token });
    contactId = contacts.body.data[0]._id;
    const detail = await tg.app.call('GET', `${agentPath()}/contacts/${contactId}`, {
      token: tg.ws.owner.token,
    });
    conversationId = detail.body.data.conversations[0]._id;
    const key = await tg.app.call('POST', `${projectPath()}/api-keys`, {
      token: tg.ws.owner.token,
      body: { name: 'OpenAI', provider: 'openai', key: randomSecret('sk-viewer-') },
    });
    expect(key.status, key.text).toBe(201);
    viewer = await registerUser(tg.app, 'viewer');
    await addMember(tg.app, tg.ws.owner, tg.ws.orgId, viewer, 'viewer');
    browser = await launchChromium();
    session = await newConsolePage(browser);
    page = session.page;
    // Playwright's waits (30 s by default) are outer bounds; a machine shared by many test runs needs more.
    page.setDefaultTimeout(120_000);
    await loginThroughForm(page, tg.app.url, viewer);
  }, 600_000);
  afterAll(async () => {
    await session?.close();
    await browser?.close();
    await tg?.close();
  });

  /** Opens a console address and waits until its main area has a heading and nothing is loading. */
  const visit = async (hash: string) => {
    await page.goto(`${tg.app.url}/console${hash}`);
    await page.locator('main h1, main h2').first().waitFor();
    await expect.poll(() => page.locator('main .spinner').count(), POLL).toBe(0);
  };

  /** The write controls and forms a viewer can see on the current page (expected: none). */
  const writeControls = async () => {
    const enabled: string[] = [];
    for (const button of await page.getByRole('button').all()) {
      const name = (await button.getAttribute('aria-label')) ?? (await button.textContent()) ?? '';
      if (WRITE_NAMES.test(name) && (await button.isVisible()) && (await button.isEnabled()))
        enabled.push(name.trim());
    }
    const forms = await page.locator('form:not([role="search"])').count();
    const textareas = await page.locator('textarea:not([readonly]):not([disabled])').count();
    return { enabled, forms, textareas };
  };
  const none = { enabled: [], forms: 0, textareas: 0 };

  it('sees every page without a single write control', async () => {
    const pages = [
      '#/inbox',
      `#/inbox/${conversationId}`,
      '#/contacts',
      `#/contacts/${contactId}`,
      '#/channels',
      '#/analytics',
      '#/playground',
      '#/settings/agents',
      '#/settings/llm-keys',
      '#/settings/members',
    ];
    for (const hash of pages) {
      await visit(hash);
      expect({ hash, ...(await writeControls()) }).toEqual({ hash, ...none });
    }
    // The contact page really shows the contact (the check above ran against data, not an error).
    await visit(`#/contacts/${contactId}`);
    await page.getByRole('heading', { name: 'Vera', level: 1 }).waitFor();
    await screenshots(page, 'viewer-contact');

    // Settings: the agent reads as a summary, the key as configured, members without role pickers, and the
    // API tokens tab (admins only) is not offered; its address falls back to the agents tab.
    await visit('#/settings/agents');
    await page.getByText('Read-only: your role can see').waitFor();
    await screenshots(page, 'viewer-settings');
    await visit('#/settings/llm-keys');
    await page
      .getByRole('row', { name: /OpenAI/ })
      .getByText('Configured')
      .waitFor();
    await visit('#/settings/members');
    await page.getByRole('cell', { name: viewer.email }).waitFor();
    expect(await page.getByRole('combobox', { name: /^Role of/ }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'API tokens' }).count()).toBe(0);
    await visit('#/settings/api-tokens');
    await expect
      .poll(() => page.getByRole('link', { name: 'Agents', exact: true }).getAttribute('aria-current'))
      .toBe('page');
    expect(await writeControls()).toEqual(none);

    // Their own account is theirs to change, whatever their role: the only forms a viewer gets.
    await visit('#/settings/account');
    await page.getByRole('button', { name: 'Change password' }).waitFor();
    expect(session.problems).toEqual([]);
  });

  it("has forged writes from the viewer's own browser refused with 403 for the role", async () => {
    const writes: [string, string, unknown][] = [
      ['POST', `${projectPath()}/agents`, { name: 'Forged agent' }],
      ['PUT', agentPath(), { system_prompt: 'Forged prompt' }],
      ['DELETE', agentPath(), undefined],
      ['POST', `${projectPath()}/api-keys`, { name: 'Forged', provider: 'openai', key: 'sk-forged' }],
      ['POST', `/api/v1/organizations/${tg.ws.orgId}/members`, { email: 'x@example.test', role: 'owner' }],
      ['POST', `/api/v1/organizations/${tg.ws.orgId}/api-tokens`, { name: 'Forged', role: 'viewer' }],
      ['POST', `${agentPath()}/contacts/${contactId}/merge`, { contact_id: contactId }],
      ['DELETE', `${agentPath()}/contacts/${contactId}`, undefined],
      ['POST', `${agentPath()}/conversations/${conversationId}/close`, undefined],
      ['POST', `${agentPath()}/conversations/${conversationId}/handoff`, undefined],
      [
        'PUT',
        `/api/v1/channels/organizations/${tg.ws.orgId}/projects/${tg.ws.projectId}/agents/${tg.ws.agentId}/channels`,
        { telegram: { enabled: false } },
      ],
    ];
    const answers = await page.evaluate(async (list) => {
      const csrf = document.cookie.match(/(?:^|; )sb_csrf=([^;]*)/)?.[1] ?? '';
      const results: { status: number; error: string }[] = [];
      for (const [method, path, body] of list) {
        const res = await fetch(path, {
          method,
          headers: {
            'X-CSRF-Token': decodeURIComponent(csrf),
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const json = (await res.json().catch(() => ({}))) as { error?: string };
        results.push({ status: res.status, error: String(json.error ?? '') });
      }
      return results;
    }, writes);
    writes.forEach(([method, path], i) => {
      const answer = answers[i];
      // Refused for the role (a wrong CSRF header would say so instead).
      expect({ method, path, ...answer }).toEqual({
        method,
        path,
        status: 403,
        error: expect.stringContaining('yours is viewer'),
      });
    });

    // Nothing changed.
    const agent = await tg.app.call('GET', agentPath(), { token: tg.ws.owner.token });
    expect(agent.body.data.system_prompt).not.toBe('Forged prompt');
    const contact = await tg.app.call('GET', `${agentPath()}/contacts/${contactId}`, {
      token: tg.ws.owner.token,
    });
    expect(contact.status).toBe(200);
    const agents = await tg.app.call('GET', `${projectPath()}/agents`, { token: tg.ws.owner.token });
    expect(agents.body.data.map((a: { name: string }) => a.name)).not.toContain('Forged agent');
  });
});
