import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  launchChromium,
  loginThroughForm,
  newConsolePage,
  type ConsolePage,
  runBrowserTests,
  screenshots,
} from '../helpers/console.ts';
import { createWorkspace, registerUser, type Workspace } from '../helpers/fixtures.ts';
import { randomSecret } from '../helpers/secrets.ts';

/** Waiting bound for conditions polled through the page (not a speed assertion; a loaded machine is slow). */
const POLL = { timeout: 30_000 };

/**
 * The Settings page in Chromium against the real server, as an organization owner: an LLM key goes in and only
 * "configured" comes back, an agent is created with a system prompt and that key, a viewer is invited and
 * promoted, an API token is shown once (and works, then is revoked), and the password is changed without
 * losing the console session.
 */
// A cold server (migrations, the engine) on a loaded machine is slow to start; these are outer bounds only.
describe.skipIf(!runBrowserTests)('console settings in Chromium', { timeout: 300_000 }, () => {
  let app: TestApp;
  let browser: Browser;
  let ws: Workspace;
  let session: ConsolePage;
  let page: Page;

  const projectPath = () => `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}`;
  const asOwner = (method: string, path: string, body?: unknown) =>
    app.call(method, path, { token: ws.owner.token, ...(body === undefined ? {} : { body }) });
  const openTab = async (tab: string, heading: string) => {
    await page.goto(`${app.url}/console#/settings/${tab}`);
    await page.getByRole('heading', { name: heading }).first().waitFor();
  };

  beforeAll(async () => {
    app = await startTestApp();
    ws = await createWorkspace(app, 'settings-owner');
    browser = await launchChromium();
    session = await newConsolePage(browser);
    page = session.page;
    // Playwright's waits (30 s by default) are outer bounds; a machine shared by many test runs needs more.
    page.setDefaultTimeout(120_000);
    await loginThroughForm(page, app.url, ws.owner);
  }, 600_000);
  afterAll(async () => {
    await session?.close();
    await browser?.close();
    await app?.close();
  });

  it('adds an LLM key that is shown only as configured, never its value', async () => {
    const secretKey = randomSecret('sk-console-');
    await openTab('llm-keys', 'Project LLM keys');
    await page.getByLabel('Key name').fill('OpenAI production');
    await page.getByLabel('Provider', { exact: true }).selectOption('openai');
    await page.getByLabel('Secret key').fill(secretKey);
    await page.getByRole('button', { name: 'Add key' }).click();

    const row = page.getByRole('row', { name: /OpenAI production/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('Configured');
    await page.getByRole('status').filter({ hasText: 'never displayed again' }).waitFor();
    expect(await page.getByLabel('Secret key').inputValue()).toBe('');
    expect(await page.content()).not.toContain(secretKey);

    const keys = await asOwner('GET', `${projectPath()}/api-keys`);
    expect(keys.body.data).toHaveLength(1);
    expect(keys.body.data[0]).toMatchObject({
      name: 'OpenAI production',
      provider: 'openai',
      base_url: null,
    });
    expect(keys.text).not.toContain(secretKey);
    await screenshots(page, 'settings-llm-keys');
  });

  it('creates an agent with a system prompt and the project key', async () => {
    const [key] = (await asOwner('GET', `${projectPath()}/api-keys`)).body.data;
    await openTab('agents', 'Agents');
    await page.getByRole('button', { name: 'New agent' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Support bot');
    await page.getByLabel('System prompt').fill('You answer questions about orders. Be brief and kind.');
    await page.getByLabel('LLM provider').selectOption('openai');
    expect(await page.getByLabel('Model').inputValue()).not.toBe('');
    await page.getByLabel('Model').fill('gpt-4o-mini');
    expect(await page.getByLabel('LLM key').inputValue()).toBe(key._id);
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('status').filter({ hasText: 'Agent “Support bot” created.' }).waitFor();

    const agents = await asOwner('GET', `${projectPath()}/agents`);
    const created = agents.body.data.find((a: { name: string }) => a.name === 'Support bot');
    expect(created).toMatchObject({
      system_prompt: 'You answer questions about orders. Be brief and kind.',
      api_key: key._id,
      llm_settings: { provider: 'openai', model: 'gpt-4o-mini' },
    });
    // The header's agent picker knows the new agent without a reload.
    await expect
      .poll(
        () => page.getByRole('combobox', { name: 'Agent', exact: true }).locator('option').allTextContents(),
        POLL,
      )
      .toContain('Support bot');
    await screenshots(page, 'settings-agents');

    // Edit: the form is prefilled with what was stored; a change is saved.
    await page.getByRole('button', { name: /^Support bot/ }).click();
    expect(await page.getByLabel('System prompt').inputValue()).toBe(
      'You answer questions about orders. Be brief and kind.',
    );
    await page.getByLabel('Status').selectOption('inactive');
    await page.getByRole('button', { name: 'Save agent' }).click();
    await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
    const after = await asOwner('GET', `${projectPath()}/agents/${created._id}`);
    expect(after.body.data.status).toBe('inactive');
    expect(after.body.data.api_key).toBe(key._id);
  });

  it('deletes an agent only after its name is typed', async () => {
    const extra = await asOwner('POST', `${projectPath()}/agents`, { name: 'Temporary agent' });
    expect(extra.status).toBe(201);
    await page.reload();
    await page.getByRole('button', { name: /^Temporary agent/ }).click();
    await page.getByRole('button', { name: 'Delete agent…' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Delete agent' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type Temporary agent to confirm/).fill('Temporary agent');
    await confirm.click();
    await page.getByRole('status').filter({ hasText: 'deleted' }).waitFor();
    expect((await asOwner('GET', `${projectPath()}/agents/${extra.body.data._id}`)).status).toBe(404);
  });

  it('invites a viewer, lists the invitation, then changes the member’s role', async () => {
    const invitee = await registerUser(app, 'invitee');
    await openTab('members', `Members of Org`);
    await page.getByLabel('Email', { exact: true }).fill(invitee.email);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Invitation sent to ${invitee.email}` })
      .waitFor();
    const invitation = page.getByRole('row', { name: new RegExp(invitee.email) });
    await invitation.waitFor();
    expect(await invitation.textContent()).toContain('viewer');
    expect(await invitation.textContent()).toContain('pending');

    const invitations = await asOwner('GET', `/api/v1/organizations/${ws.orgId}/invitations`);
    const sent = invitations.body.data.find((i: { email: string }) => i.email === invitee.email);
    expect(sent).toMatchObject({ role: 'viewer', status: 'pending' });
    await screenshots(page, 'settings-members');

    // They accept; the member list shows them as a viewer, and the owner promotes them.
    const accepted = await app.call('POST', `/api/v1/auth/invitations/${sent._id}/accept`, {
      token: invitee.token,
    });
    expect(accepted.status, accepted.text).toBe(200);
    await page.reload();
    const role = page.getByLabel(`Role of ${invitee.email}`);
    expect(await role.inputValue()).toBe('viewer');
    await role.selectOption('member');
    await page
      .getByRole('status')
      .filter({ hasText: `${invitee.email} is now member` })
      .waitFor();
    const members = await asOwner('GET', `/api/v1/organizations/${ws.orgId}/members`);
    expect(members.body.data.find((m: { email: string }) => m.email === invitee.email)?.role).toBe('member');
  });

  it('creates an API token that is shown once, works, and stops working when revoked', async () => {
    await openTab('api-tokens', 'API tokens of Org');
    await page.getByLabel('Token name').fill('CRM sync');
    await page.getByLabel('Token role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByRole('textbox', { name: 'Your new token “CRM sync”' });
    await shown.waitFor();
    await page.getByRole('alert').filter({ hasText: 'shown only this once' }).waitFor();
    const token = await shown.inputValue();
    expect(token.length).toBeGreaterThan(20);
    expect((await app.call('GET', `${projectPath()}/agents`, { token })).status).toBe(200);
    // A viewer token cannot write.
    expect((await app.call('POST', `${projectPath()}/agents`, { token, body: { name: 'x' } })).status).toBe(
      403,
    );
    await screenshots(page, 'settings-api-tokens');

    await page.getByRole('button', { name: 'I have stored it' }).click();
    await expect.poll(() => shown.count(), POLL).toBe(0);
    await page.reload();
    const row = page.getByRole('row', { name: /CRM sync/ });
    await row.waitFor();
    expect(await page.content()).not.toContain(token);
    expect(await row.textContent()).toContain(token.slice(0, 8));

    await row.getByRole('button', { name: 'Revoke CRM sync' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await expect.poll(() => row.textContent(), POLL).toContain('Revoked');
    expect((await app.call('GET', `${projectPath()}/agents`, { token })).status).toBe(401);
  });

  it('changes the password and stays logged in with the new one', async () => {
    const next = `new-${randomSecret('pw', 6)}`;
    await openTab('account', 'Your account');
    await page.getByLabel('Current password').fill(ws.owner.password);
    await page.getByLabel('New password', { exact: true }).fill(next);
    await page.getByLabel('Repeat the new password').fill(next);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();
    await screenshots(page, 'settings-account');

    // The console's cookie session was renewed: a reload stays logged in.
    await page.reload();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    const login = await app.call('POST', '/api/v1/auth/login', {
      body: { email: ws.owner.email, password: next },
    });
    expect(login.status).toBe(200);
    const old = await app.call('POST', '/api/v1/auth/login', {
      body: { email: ws.owner.email, password: ws.owner.password },
    });
    expect(old.status).toBe(401);
    expect(session.problems).toEqual([]);
  });
});
