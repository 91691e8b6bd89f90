import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedConversation } from '../helpers/analytics-seed.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  launchChromium,
  loginThroughForm,
  newConsolePage,
  runBrowserTests,
  screenshots,
  navLink,
} from '../helpers/console.ts';
import {
  addMember,
  createAgent,
  createWorkspace,
  registerUser,
  type TestUser,
  type Workspace,
} from '../helpers/fixtures.ts';

/**
 * The Analytics page in Chromium over seeded rows: the API's answer matches the seed, the page draws its four
 * charts and shows exactly the API's numbers (tiles and tables), and the range and interval controls ask for
 * what they say.
 */

const DAY = 86_400_000;
const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const dayString = (daysAgo: number) => new Date(today - daysAgo * DAY).toISOString().slice(0, 10);
/** An instant `daysAgo` UTC days before today at `time` (HH:MM:SS), as the API prints it. */
const at = (daysAgo: number, time: string) => new Date(`${dayString(daysAgo)}T${time}Z`).toISOString();
const CHANNEL_LABELS: Record<string, string> = { telegram: 'Telegram', whatsapp: 'WhatsApp', email: 'Email' };

type Analytics = Record<string, any>;

describe.skipIf(!runBrowserTests)('console analytics page in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  let ws: Workspace;
  let viewer: TestUser;
  let emptyAgent: string;

  beforeAll(async () => {
    app = await startTestApp();
    ws = await createWorkspace(app, 'analytics-owner');
    viewer = await registerUser(app, 'analytics-viewer');
    await addMember(app, ws.owner, ws.orgId, viewer, 'viewer');
    emptyAgent = await createAgent(app, ws.owner.token, ws.orgId, ws.projectId);
    await seedConversation(app.database, ws.agentId, {
      channel: 'telegram',
      messages: [
        { at: at(2, '10:00:00'), direction: 'inbound' },
        { at: at(2, '10:00:01'), direction: 'outbound', status: 'delivered', sentAt: at(2, '10:00:04') },
        { at: at(1, '09:00:00'), direction: 'inbound' },
        { at: at(1, '09:00:01'), direction: 'outbound', status: 'read', sentAt: at(1, '09:00:02') },
      ],
    });
    await seedConversation(app.database, ws.agentId, {
      channel: 'whatsapp',
      status: 'closed',
      messages: [
        { at: at(2, '11:00:00'), direction: 'inbound' },
        {
          at: at(2, '11:00:05'),
          direction: 'outbound',
          role: 'human',
          status: 'delivered',
          sentAt: at(2, '11:00:10'),
        },
        {
          at: at(2, '11:01:00'),
          direction: 'outbound',
          status: 'failed',
          errorCode: 'rate_limited',
          errorMessage: 'Too many messages to this user',
        },
      ],
    });
    await seedConversation(app.database, ws.agentId, {
      channel: 'email',
      handoffAt: at(1, '12:00:00'),
      messages: [
        { at: at(1, '11:59:00'), direction: 'inbound' },
        {
          at: at(1, '11:59:30'),
          direction: 'outbound',
          status: 'failed',
          errorCode: 'smtp_rejected',
          errorMessage: '550 mailbox unavailable',
        },
      ],
    });
    browser = await launchChromium();
    // An outer bound only: migrating a fresh embedded database on a loaded machine takes a while.
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** Runs `action` and returns the analytics response the page received because of it, with its query. */
  async function analyticsAfter(page: Page, action: () => Promise<unknown>) {
    const [response] = await Promise.all([
      page.waitForResponse((res) => res.url().includes('/analytics?') && res.request().method() === 'GET'),
      action(),
    ]);
    expect(response.status()).toBe(200);
    const url = new URL(response.url());
    const body = (await response.json()) as { data: Analytics };
    // Wait until the page shows this response (it marks which range it renders).
    const shown = `${body.data.from}/${body.data.to}/${body.data.interval}`;
    await page.locator(`.analytics[data-shown="${shown}"][aria-busy="false"]`).waitFor();
    return { data: body.data, query: Object.fromEntries(url.searchParams) };
  }

  /** Each row of a numbers table: the first cell (bucket datetime or text), then every <data value>. */
  const tableRows = (page: Page, name: string) =>
    page.evaluate(
      (table) =>
        [...document.querySelectorAll(`table[data-table="${table}"] tbody tr`)]
          .filter((tr) => tr.querySelector('data'))
          .map((tr) => {
            const head = tr.querySelector('th');
            const time = head?.querySelector('time');
            return [
              time ? time.getAttribute('datetime') : (head?.textContent ?? ''),
              ...[...tr.querySelectorAll('data')].map((d) => d.value),
            ];
          }),
      name,
    );

  const ms = (value: number | null) => (value === null ? '' : String(value));

  async function expectPageShows(page: Page, data: Analytics) {
    const tiles = await page.evaluate(() =>
      Object.fromEntries(
        [...document.querySelectorAll('[data-total]')].map((tile) => [
          tile.getAttribute('data-total'),
          [...tile.querySelectorAll('data')].map((d) => d.value),
        ]),
      ),
    );
    const t = data.totals;
    expect(tiles).toEqual({
      inbound: [String(t.inbound)],
      outbound: [String(t.outbound)],
      conversations: [String(t.conversations)],
      handed_off: [String(t.handed_off)],
      p50: [ms(t.reply_latency.p50_ms)],
      p95: [ms(t.reply_latency.p95_ms)],
      failed: [String(t.delivery.failed)],
      open_now: [String(t.open_now), String(t.in_handoff_now)],
    });
    expect(await tableRows(page, 'messages')).toEqual(
      data.messages.map((r: any) => [r.bucket, String(r.inbound), String(r.outbound)]),
    );
    // The channel column is text, not <data>: check it separately.
    const channels = await page.evaluate(() =>
      [...document.querySelectorAll('table[data-table="messages"] tbody tr')].map(
        (tr) => tr.querySelectorAll('td')[0]?.textContent,
      ),
    );
    expect(channels).toEqual(data.messages.map((r: any) => CHANNEL_LABELS[r.channel]));
    expect(await tableRows(page, 'latency')).toEqual(
      data.reply_latency.map((r: any) => [
        r.bucket,
        String(r.waits),
        String(r.answered),
        ms(r.p50_ms),
        ms(r.p95_ms),
      ]),
    );
    expect(await tableRows(page, 'latency-channels')).toEqual(
      data.reply_latency_by_channel.map((r: any) => [
        CHANNEL_LABELS[r.channel],
        String(r.waits),
        String(r.answered),
        ms(r.p50_ms),
        ms(r.p95_ms),
      ]),
    );
    expect(await tableRows(page, 'conversations')).toEqual(
      data.conversations_per_bucket.map((r: any) => [r.bucket, String(r.active), String(r.handed_off)]),
    );
    expect(await tableRows(page, 'open-now')).toEqual(
      data.open_now.map((r: any) => [CHANNEL_LABELS[r.channel], String(r.open), String(r.in_handoff)]),
    );
    const statuses = ['sent', 'delivered', 'read', 'played', 'queued', 'held', 'failed', 'total'];
    expect(await tableRows(page, 'delivery')).toEqual(
      data.delivery.map((r: any) => [CHANNEL_LABELS[r.channel], ...statuses.map((s) => String(r[s]))]),
    );
    for (const row of data.delivery) {
      const reasons = await page
        .locator(`ul[data-failures="${row.channel}"] li`)
        .evaluateAll((items) =>
          items.map((li) => [
            li.querySelector('code')?.textContent,
            li.querySelector('data')?.getAttribute('value'),
          ]),
        );
      expect(reasons).toEqual(row.failure_reasons.map((r: any) => [r.code, String(r.count)]));
    }
  }

  /** Pixels with any paint on each chart canvas: a drawn chart has many. */
  const paintedPixels = (page: Page) =>
    page.locator('.analytics canvas').evaluateAll((canvases) =>
      (canvases as HTMLCanvasElement[]).map((canvas) => {
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
        return painted;
      }),
    );

  it('draws the charts from the API and shows exactly its numbers; the controls ask for their range', async () => {
    const { page, problems, close } = await newConsolePage(browser);
    await loginThroughForm(page, app.url, ws.owner);
    await page.getByRole('banner').getByLabel('Agent', { exact: true }).selectOption(ws.agentId);
    const first = await analyticsAfter(page, () => navLink(page, 'Analytics').click());

    // Default: the 30 whole UTC days ending today, by day; the seed's figures.
    expect(first.query).toEqual({
      from: new Date(today + DAY - 30 * DAY).toISOString(),
      to: new Date(today + DAY).toISOString(),
      interval: 'day',
    });
    expect(first.data.buckets).toHaveLength(30);
    expect(first.data.totals).toMatchObject({
      inbound: 4,
      outbound: 5,
      conversations: 3,
      handed_off: 2,
      reply_latency: { waits: 4, answered: 3, p50_ms: 4000, p95_ms: 9400 },
      open_now: 2,
      in_handoff_now: 1,
    });
    expect(first.data.messages).toEqual([
      { bucket: `${dayString(2)}T00:00:00.000Z`, channel: 'telegram', inbound: 1, outbound: 1 },
      { bucket: `${dayString(2)}T00:00:00.000Z`, channel: 'whatsapp', inbound: 1, outbound: 2 },
      { bucket: `${dayString(1)}T00:00:00.000Z`, channel: 'email', inbound: 1, outbound: 1 },
      { bucket: `${dayString(1)}T00:00:00.000Z`, channel: 'telegram', inbound: 1, outbound: 1 },
    ]);
    await expectPageShows(page, first.data);
    const painted = await paintedPixels(page);
    expect(painted).toHaveLength(4);
    for (const count of painted) expect(count).toBeGreaterThan(1000);
    expect(await page.getByRole('img', { name: /messages per day and channel/ }).count()).toBe(1);

    await page.getByText('Numbers: messages per bucket and channel').click();
    await screenshots(page, 'analytics');

    // Hourly over the last 7 days.
    await analyticsAfter(page, () => page.getByRole('radio', { name: '7 days' }).check());
    const hourly = await analyticsAfter(page, () => page.getByLabel('Interval').selectOption('hour'));
    expect(hourly.query.interval).toBe('hour');
    expect(hourly.data.buckets).toHaveLength(7 * 24);
    expect(hourly.data.messages.map((r: any) => r.bucket)).toEqual([
      at(2, '10:00:00'),
      at(2, '11:00:00'),
      at(1, '09:00:00'),
      at(1, '11:00:00'),
    ]);
    await expectPageShows(page, hourly.data);

    // 90 days cannot be hourly: the page asks for days and says why hours are off.
    const ninety = await analyticsAfter(page, () => page.getByRole('radio', { name: '90 days' }).check());
    expect(ninety.query).toMatchObject({
      interval: 'day',
      from: new Date(today + DAY - 90 * DAY).toISOString(),
    });
    expect(await page.getByRole('option', { name: /Hour \(up to 31 days\)/ }).isDisabled()).toBe(true);

    // A custom range of the two seeded days (inclusive), by week.
    await page.getByRole('radio', { name: 'Custom' }).check();
    await page.getByLabel('From', { exact: true }).fill(dayString(2));
    await page.getByLabel('To', { exact: true }).fill(dayString(1));
    const custom = await analyticsAfter(page, () => page.getByRole('button', { name: 'Apply' }).click());
    expect(custom.query).toMatchObject({
      from: `${dayString(2)}T00:00:00.000Z`,
      to: new Date(today).toISOString(),
    });
    expect(custom.data.totals).toMatchObject({ inbound: 4, outbound: 5 });
    const weekly = await analyticsAfter(page, () => page.getByLabel('Interval').selectOption('week'));
    expect(weekly.query.interval).toBe('week');
    await expectPageShows(page, weekly.data);
    expect(problems).toEqual([]);
    await close();
  }, 180_000);

  it('tells a new user what to do when the agent has no messages', async () => {
    const { page, problems, close } = await newConsolePage(browser);
    await loginThroughForm(page, app.url, ws.owner);
    await page.getByRole('banner').getByLabel('Agent', { exact: true }).selectOption(emptyAgent);
    const empty = await analyticsAfter(page, () => navLink(page, 'Analytics').click());
    expect(empty.data.totals).toMatchObject({ inbound: 0, outbound: 0 });
    await page.getByRole('heading', { name: 'No messages in this range' }).waitFor();
    expect(await page.getByRole('link', { name: 'Playground' }).count()).toBeGreaterThan(0);
    expect(await page.locator('.analytics canvas').count()).toBe(0);
    await screenshots(page, 'analytics-empty');
    expect(problems).toEqual([]);
    await close();
  }, 180_000);

  it('shows a viewer the same numbers', async () => {
    const { page, problems, close } = await newConsolePage(browser);
    await loginThroughForm(page, app.url, viewer);
    await page.getByRole('banner').getByLabel('Agent', { exact: true }).selectOption(ws.agentId);
    const view = await analyticsAfter(page, () => navLink(page, 'Analytics').click());
    expect(view.data.totals).toMatchObject({ inbound: 4, outbound: 5, conversations: 3 });
    await expectPageShows(page, view.data);
    expect(problems).toEqual([]);
    await close();
  }, 180_000);
});
