import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelAccounts } from '../../src/channels/accounts.ts';
import { openDatabase } from '../../src/db/client.ts';
import { createLogger } from '../../src/logger.ts';
import { VaultError } from '../../src/vault/vault.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startFakeTelegram } from '../helpers/fake-telegram.ts';
import {
  addMember,
  createAgent,
  createOrg,
  createProject,
  registerUser,
  createWorkspace,
  type TestUser,
} from '../helpers/fixtures.ts';
import { findLeaks, randomSecret, secret } from '../helpers/secrets.ts';

const botToken = () =>
  secret(`${100000 + Math.floor(Math.random() * 1e6)}:${randomBytes(18).toString('base64url')}`);
const accountSid = `AC${randomBytes(16).toString('hex')}`;

let app: TestApp;
let fake: Awaited<ReturnType<typeof startFakeTelegram>>;
let owner: TestUser;
let orgId: string;
let projectId: string;
let agentId: string;
const TOKEN = botToken();

const path = (agent = agentId, org = orgId, project = projectId) =>
  `/api/v1/channels/organizations/${org}/projects/${project}/agents/${agent}/channels`;

async function newAgent(): Promise<string> {
  return createAgent(app, owner.token, orgId, projectId);
}

async function put(body: unknown, agent = agentId) {
  return app.call('PUT', path(agent), { token: owner.token, body });
}

beforeAll(async () => {
  fake = await startFakeTelegram(TOKEN, 'my_ai_assistant_bot');
  app = await startTestApp({
    CHANNEL_CONFIG_WRITES_PER_MINUTE: '1000',
    CHANNEL_TESTS_PER_MINUTE: '1000',
    TELEGRAM_API_ROOT: fake.url,
  });
  ({ owner, orgId, projectId, agentId } = await createWorkspace(app, 'owner'));
});
afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe('GET channels', () => {
  it("answers the spec's shape for an agent with nothing configured: website on, with its default theme", async () => {
    const agent = await newAgent();
    const res = await app.call('GET', path(agent), { token: owner.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      data: {
        agent,
        whatsapp: { enabled: false },
        telegram: { enabled: false },
        email: { enabled: false },
        website: {
          enabled: true,
          theme: {
            primary_color: '#0084ff',
            position: 'bottom-right',
            greeting_message: 'Hello! How can I help you?',
          },
        },
        handoff: { enabled: false, keywords: [] },
        analytics: { total_messages_by_channel: {} },
        contact_linking: 'verified',
      },
    });
    const enabled = await app.call('GET', `${path(agent)}/enabled`, { token: owner.token });
    expect(enabled.body).toEqual({ agent_id: agent, enabled_channels: ['website'] });
  });
});

describe('PUT then GET', () => {
  const authToken = randomSecret('tw');
  const smtpPassword = randomSecret('smtp');
  const widgetSecret = randomSecret('widget');

  it('stores every channel, answers the spec message, and GET shows settings with secrets only as {configured:true}', async () => {
    const res = await put({
      whatsapp: {
        enabled: true,
        provider: 'twilio',
        phone_number: '+14155551234',
        credentials: { account_sid: accountSid, auth_token: authToken },
      },
      telegram: { enabled: true, bot_token: TOKEN, bot_username: '@my_ai_assistant_bot' },
      email: {
        enabled: true,
        provider: 'smtp',
        from_email: 'support@yourdomain.com',
        from_name: 'Support Team',
        smtp_config: { host: 'smtp.gmail.com', port: 587, username: 'me@gmail.com', password: smtpPassword },
      },
      website: {
        theme: { primary_color: '#112233', position: 'bottom-left' },
        allowed_origins: ['https://shop.example.com'],
        widget_secret: widgetSecret,
      },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true, message: 'Channel configuration updated successfully' });

    const got = await app.call('GET', path(), { token: owner.token });
    expect(got.body.data).toMatchObject({
      agent: agentId,
      whatsapp: {
        enabled: true,
        provider: 'twilio',
        phone_number: '+14155551234',
        credentials: { account_sid: accountSid, auth_token: { configured: true } },
      },
      telegram: {
        enabled: true,
        bot_username: 'my_ai_assistant_bot',
        bot_token: { configured: true },
        webhook_secret: { configured: true },
      },
      email: {
        enabled: true,
        provider: 'smtp',
        from_email: 'support@yourdomain.com',
        smtp_config: { host: 'smtp.gmail.com', port: 587, secure: false, password: { configured: true } },
      },
      website: {
        enabled: true,
        theme: {
          primary_color: '#112233',
          position: 'bottom-left',
          greeting_message: 'Hello! How can I help you?',
        },
        allowed_origins: ['https://shop.example.com'],
        widget_secret: { configured: true },
      },
    });
    for (const value of [TOKEN, authToken, smtpPassword, widgetSecret]) expect(got.text).not.toContain(value);
    const enabled = await app.call('GET', `${path()}/enabled`, { token: owner.token });
    expect(enabled.body).toEqual({
      agent_id: agentId,
      enabled_channels: ['whatsapp', 'telegram', 'email', 'website'],
    });
  });

  it('stores secrets sealed (never plaintext) and opens them only on use, through the cached account', async () => {
    const rows = await app.database.query<{ channel: string; field: string; sealed: string; key_id: string }>(
      'select channel, field, sealed, key_id from channel_secrets where agent_id = $1 order by channel, field',
      [agentId],
    );
    expect(rows.map((r) => `${r.channel}.${r.field}`)).toEqual([
      // Generated: the raw MIME route never runs without it.
      'email.inbound_secret',
      'email.smtp_config.password',
      'telegram.bot_token',
      'telegram.webhook_secret',
      'website.widget_secret',
      'whatsapp.credentials.auth_token',
    ]);
    for (const row of rows) {
      expect(row.sealed).toMatch(/^v1:[0-9a-f]{12}:/);
      expect(row.key_id).toBe(app.vault.currentKeyId);
      for (const value of [TOKEN, authToken, smtpPassword, widgetSecret])
        expect(row.sealed).not.toContain(value);
    }
    const [config] = await app.database.query<{ channels: unknown }>(
      'select channels from channel_configs where agent_id = $1',
      [agentId],
    );
    expect(JSON.stringify(config?.channels)).not.toMatch(
      new RegExp([TOKEN, authToken, smtpPassword].join('|')),
    );
    const account = await app.channelAccounts.resolve(agentId, 'whatsapp');
    expect(account).toMatchObject({ agentId, channel: 'whatsapp', provider: 'twilio', enabled: true });
    expect(account?.settings).toEqual({
      phone_number: '+14155551234',
      credentials: { account_sid: accountSid },
    });
    expect(await account?.secret('credentials.auth_token')).toBe(authToken);
    const tg = await app.channelAccounts.resolve(agentId, 'telegram');
    expect(await tg?.secret('webhook_secret')).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
  });

  it('GET then PUT of the same body keeps every stored secret', async () => {
    const before = await app.call('GET', path(), { token: owner.token });
    const webhookSecret = await (
      await app.channelAccounts.resolve(agentId, 'telegram')
    )?.secret('webhook_secret');
    const again = await put(before.body.data);
    expect(again.status, again.text).toBe(200);
    const after = await app.call('GET', path(), { token: owner.token });
    expect(after.body).toEqual(before.body);
    expect(
      await (await app.channelAccounts.resolve(agentId, 'whatsapp'))?.secret('credentials.auth_token'),
    ).toBe(authToken);
    const tg = await app.channelAccounts.resolve(agentId, 'telegram');
    expect(await tg?.secret('bot_token')).toBe(TOKEN);
    expect(await tg?.secret('webhook_secret')).toBe(webhookSecret);
    expect(await (await app.channelAccounts.resolve(agentId, 'email'))?.secret('smtp_config.password')).toBe(
      smtpPassword,
    );
  });

  it('merges per channel and per field: omitted secrets keep, null clears, other channels stay', async () => {
    const res = await put({ website: { theme: { greeting_message: 'Hi!' }, widget_secret: null } });
    expect(res.status, res.text).toBe(200);
    const got = await app.call('GET', path(), { token: owner.token });
    expect(got.body.data.website).toEqual({
      enabled: true,
      theme: { primary_color: '#112233', position: 'bottom-left', greeting_message: 'Hi!' },
      allowed_origins: ['https://shop.example.com'],
    });
    expect(got.body.data.whatsapp.credentials.auth_token).toEqual({ configured: true });
    expect(
      await (await app.channelAccounts.resolve(agentId, 'website'))?.secret('widget_secret'),
    ).toBeUndefined();
  });

  it('refuses to clear a secret an enabled channel needs, and regenerates a cleared Telegram webhook secret', async () => {
    const res = await put({ telegram: { bot_token: null } });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('Invalid body: telegram.bot_token: is required');
    const before = await (await app.channelAccounts.resolve(agentId, 'telegram'))?.secret('webhook_secret');
    expect((await put({ telegram: { webhook_secret: null } })).status).toBe(200);
    const after = await (await app.channelAccounts.resolve(agentId, 'telegram'))?.secret('webhook_secret');
    expect(after).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(after).not.toBe(before);
  });

  it('switching provider starts the channel afresh and requires the new provider fields', async () => {
    const agent = await newAgent();
    const first = await put(
      {
        whatsapp: {
          enabled: true,
          provider: 'twilio',
          phone_number: '+14155551234',
          credentials: { account_sid: accountSid, auth_token: randomSecret('tw') },
        },
      },
      agent,
    );
    expect(first.status, first.text).toBe(200);
    const incomplete = await put({ whatsapp: { provider: 'meta' } }, agent);
    expect(incomplete.status).toBe(400);
    // Nothing carries over from twilio: not even the phone number.
    expect(incomplete.body.error).toBe('Invalid body: whatsapp.phone_number: is required');
    const meta = await put(
      {
        whatsapp: {
          provider: 'meta',
          verify_token: randomSecret('verify'),
          credentials: {
            phone_number_id: '123456789',
            access_token: randomSecret('meta'),
            business_account_id: '987654321',
            app_secret: randomSecret('app'),
          },
        },
      },
      agent,
    );
    expect(meta.status).toBe(400);
    expect(meta.body.error).toBe('Invalid body: whatsapp.phone_number: is required');
    const ok = await put(
      {
        whatsapp: {
          provider: 'meta',
          phone_number: '+14155550000',
          verify_token: randomSecret('verify'),
          credentials: {
            phone_number_id: '123456789',
            access_token: randomSecret('meta'),
            app_secret: randomSecret('app'),
          },
        },
      },
      agent,
    );
    expect(ok.status, ok.text).toBe(200);
    const got = await app.call('GET', path(agent), { token: owner.token });
    expect(got.body.data.whatsapp).toEqual({
      enabled: true,
      provider: 'meta',
      phone_number: '+14155550000',
      verify_token: { configured: true },
      credentials: {
        phone_number_id: '123456789',
        access_token: { configured: true },
        app_secret: { configured: true },
      },
    });
    const rows = await app.database.query<{ field: string }>(
      "select field from channel_secrets where agent_id = $1 and channel = 'whatsapp' order by field",
      [agent],
    );
    expect(rows.map((r) => r.field)).toEqual([
      'credentials.access_token',
      'credentials.app_secret',
      'verify_token',
    ]);
  });

  it('accepts each email provider, with SES keys optional (default AWS credential chain)', async () => {
    const agent = await newAgent();
    // Every email provider seals the inbound secret, not only SMTP.
    const inboundSecret = randomSecret('inbound-');
    const sender = { enabled: true, from_email: 'support@yourdomain.com' };
    const cases = [
      {
        ...sender,
        provider: 'sendgrid',
        api_keys: { sendgrid: secret(`SG.${randomBytes(20).toString('hex')}`) },
        inbound_secret: inboundSecret,
      },
      {
        ...sender,
        provider: 'mailgun',
        api_keys: { mailgun: randomSecret('key-') },
        mailgun_config: { domain: 'mg.yourdomain.com', region: 'eu' },
      },
      { ...sender, provider: 'ses', ses_config: { region: 'eu-west-1' } },
    ];
    for (const email of cases) {
      const res = await put({ email }, agent);
      expect(res.status, res.text).toBe(200);
      const got = await app.call('GET', path(agent), { token: owner.token });
      expect(got.body.data.email.provider).toBe(email.provider);
      expect(got.text).not.toContain(inboundSecret);
      if (email.provider === 'sendgrid')
        expect(got.body.data.email.inbound_secret).toEqual({ configured: true });
    }
    const got = await app.call('GET', path(agent), { token: owner.token });
    // Every email provider gets a generated inbound secret (shown only as configured).
    expect(got.body.data.email).toEqual({
      ...sender,
      provider: 'ses',
      ses_config: { region: 'eu-west-1' },
      inbound_secret: { configured: true },
    });
  });
});

describe('validation', () => {
  it.each([
    [{ whatsapp: { provider: 'twilio', phone_number: '4155551234' } }, 'whatsapp.phone_number'],
    [{ whatsapp: { provider: 'twilio', phone_number: '+1 415 555 1234' } }, 'whatsapp.phone_number'],
    [{ website: { theme: { primary_color: 'blue' } } }, 'website.theme.primary_color'],
    [{ website: { theme: { position: 'top' } } }, 'website.theme.position'],
    [{ website: { allowed_origins: ['https://x.example.com/page'] } }, 'website.allowed_origins.0'],
    [{ telegram: { bot_token: secret('not-a-bot-token') } }, 'telegram.bot_token'],
    [{ telegram: { bot_token: TOKEN, webhook_secret: secret('has spaces!') } }, 'telegram.webhook_secret'],
    [{ telegram: { bot_username: 'someone' } }, 'telegram.bot_username'],
    [
      { whatsapp: { provider: 'twilio', credentials: { account_sid: 'ACxxxx' } } },
      'whatsapp.credentials.account_sid',
    ],
    [{ whatsapp: { provider: 'sms' } }, 'whatsapp.provider'],
    [{ email: { provider: 'smtp', smtp_config: { port: 70000 } } }, 'email.smtp_config.port'],
    [{ email: { provider: 'mailgun', mailgun_config: { region: 'asia' } } }, 'email.mailgun_config.region'],
    [{ email: { provider: 'ses', ses_config: { region: 'Frankfurt' } } }, 'email.ses_config.region'],
    [{ email: { provider: 'smtp', from_email: 'nobody' } }, 'email.from_email'],
    [{ email: { provider: 'mailgun', from_name: 'Shop\r\nBcc: all@example.com' } }, 'email.from_name'],
  ])('rejects %j with a 400 naming %s', async (body, field) => {
    const res = await put(body);
    expect(res.status, res.text).toBe(400);
    expect(res.body.success).toBe(false);
    expect(res.body.error).toMatch(new RegExp(`^Invalid body: ${field.replaceAll('.', '\\.')}: `));
  });

  it('requires a provider before a channel can be enabled', async () => {
    const res = await put({ whatsapp: { enabled: true } }, await newAgent());
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(
      'Invalid body: whatsapp.provider: is required (one of twilio, meta, 360dialog)',
    );
  });

  it('rejects fields of another provider and unknown fields', async () => {
    const res = await put({ whatsapp: { provider: 'twilio', credentials: { api_key: 'x'.repeat(10) } } });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('whatsapp.credentials');
    expect((await put({ sms: {} })).status).toBe(400);
  });

  it('answers malformed JSON with a 400 carrying the parse error', async () => {
    const res = await app.call('PUT', path(), {
      token: owner.token,
      rawBody: '{"telegram": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^Malformed JSON in request body: /);
  });
});

describe('test connection and Telegram webhook routes', () => {
  it("dispatches to the adapter's test hook and answers the spec's success shape", async () => {
    const res = await app.call('POST', `${path()}/telegram/test`, { token: owner.token });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({
      success: true,
      message: 'Telegram connection test successful',
      details: { bot_username: 'my_ai_assistant_bot', webhook_set: false },
    });
  });

  it("answers the spec's failure shape when the provider refuses the credentials", async () => {
    const agent = await newAgent();
    expect((await put({ telegram: { enabled: true, bot_token: botToken() } }, agent)).status).toBe(200);
    const res = await app.call('POST', `${path(agent)}/telegram/test`, { token: owner.token });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      success: false,
      error: 'Failed to connect to Telegram API',
      details: 'Invalid bot token',
    });
  });

  it('answers 400 when unconfigured, 404 for unknown or untestable channels', async () => {
    const fresh = await newAgent();
    const unconfigured = await app.call('POST', `${path(fresh)}/email/test`, { token: owner.token });
    expect(unconfigured.status).toBe(400);
    expect(unconfigured.body).toMatchObject({
      success: false,
      error: 'Email is not configured for this agent',
    });
    for (const channel of ['sms', 'website']) {
      const res = await app.call('POST', `${path()}/${channel}/test`, { token: owner.token });
      expect(res.status).toBe(404);
      expect(res.body.success).toBe(false);
    }
  });

  it('sets up the webhook with the stored secret token, and reports it back in the spec shape', async () => {
    const url = `https://your-domain.com/api/v1/channels/webhooks/telegram/${agentId}`;
    const setup = await app.call('POST', `${path()}/telegram/webhook/setup`, {
      token: owner.token,
      body: { webhook_url: url },
    });
    expect(setup.status, setup.text).toBe(200);
    expect(setup.body).toMatchObject({
      success: true,
      webhook_url: url,
      details: { secret_token_set: true },
    });
    const stored = await (await app.channelAccounts.resolve(agentId, 'telegram'))?.secret('webhook_secret');
    expect({ url: fake.webhook.url, secret: fake.webhook.secret }).toEqual({ url, secret: stored });
    const info = await app.call('GET', `${path()}/telegram/webhook/info`, { token: owner.token });
    expect(info.status).toBe(200);
    expect(info.body).toEqual({
      success: true,
      webhook_info: {
        url,
        has_custom_certificate: false,
        pending_update_count: 0,
        last_error_date: null,
        max_connections: 40,
        allowed_updates: ['message', 'edited_message', 'callback_query', 'my_chat_member'],
      },
    });
  });

  it.each([
    [{}, 'is required when PUBLIC_URL is not set'],
    [{ webhook_url: 'http://your-domain.com/hook' }, 'must be an https URL'],
    [{ webhook_url: 'https://your-domain.com:3000/hook' }, 'only delivers to ports 443, 80, 88 and 8443'],
  ])('rejects webhook setup body %j naming webhook_url', async (body, message) => {
    const res = await app.call('POST', `${path()}/telegram/webhook/setup`, { token: owner.token, body });
    expect(res.status).toBe(400);
    expect(res.body.error).toContain('webhook_url: ');
    expect(res.body.error).toContain(message);
  });
});

describe('access control', () => {
  const routes = (p: string): Array<[string, string, unknown?]> => [
    ['GET', p],
    ['PUT', p, { website: { enabled: false } }],
    ['GET', `${p}/enabled`],
    ['POST', `${p}/telegram/test`],
    ['POST', `${p}/telegram/webhook/setup`, { webhook_url: 'https://x.example.com/hook' }],
    ['GET', `${p}/telegram/webhook/info`],
  ];

  it('gives viewers 403 and non-members 404 on every channel route, leaving the config untouched', async () => {
    const viewer = await registerUser(app, 'viewer');
    const stranger = await registerUser(app, 'stranger');
    await addMember(app, owner, orgId, viewer, 'viewer');
    for (const [method, p, body] of routes(path())) {
      const asViewer = await app.call(method, p, { token: viewer.token, body });
      expect(asViewer.status, `${method} ${p}`).toBe(403);
      const asStranger = await app.call(method, p, { token: stranger.token, body });
      expect(asStranger.status, `${method} ${p}`).toBe(404);
    }
    const strangerOrg = await createOrg(app, stranger);
    const strangerProject = await createProject(app, stranger.token, strangerOrg);
    // Someone else's agent through one's own organization and project: still 404.
    for (const [method, p, body] of routes(path(agentId, strangerOrg, strangerProject))) {
      expect((await app.call(method, p, { token: stranger.token, body })).status).toBe(404);
    }
    const got = await app.call('GET', path(), { token: owner.token });
    expect(got.body.data.website.enabled).toBe(true);
  });

  it('lets members configure channels', async () => {
    const member = await registerUser(app, 'member');
    await addMember(app, owner, orgId, member, 'member');
    const res = await app.call('GET', path(), { token: member.token });
    expect(res.status).toBe(200);
  });
});

describe('vault binding', () => {
  it('a ciphertext copied to another agent or field fails to decrypt, without revealing the value', async () => {
    const other = await newAgent();
    const otherToken = botToken();
    expect((await put({ telegram: { enabled: true, bot_token: otherToken } }, other)).status).toBe(200);
    const [mine] = await app.database.query<{ sealed: string }>(
      "select sealed from channel_secrets where agent_id = $1 and channel = 'telegram' and field = 'bot_token'",
      [agentId],
    );
    await app.database.query(
      "update channel_secrets set sealed = $1 where agent_id = $2 and channel = 'telegram' and field = 'bot_token'",
      [mine?.sealed, other],
    );
    // Direct SQL bypasses the service; its NOTIFY arrives asynchronously, so drop the entries explicitly.
    app.channelAccounts.invalidate(other);
    const account = await app.channelAccounts.resolve(other, 'telegram');
    const failure = await account?.secret('bot_token').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(VaultError);
    expect(String(failure)).not.toContain(TOKEN);
    await app.database.query(
      "update channel_secrets set sealed = $1 where agent_id = $2 and channel = 'telegram' and field = 'webhook_secret'",
      [mine?.sealed, agentId],
    );
    app.channelAccounts.invalidate(agentId);
    const swapped = await app.channelAccounts.resolve(agentId, 'telegram');
    await expect(swapped?.secret('webhook_secret')).rejects.toThrow(VaultError);
    // Restore a working secret for the tests that follow.
    expect((await put({ telegram: { webhook_secret: null } })).status).toBe(200);
  });
});

describe('cache invalidation across connections', () => {
  it('another ChannelAccounts on its own connection sees a PUT within 1 s', async () => {
    const own = app.database.url
      ? await openDatabase({ kind: 'postgres', url: app.database.url, poolMax: 2 })
      : undefined;
    const other = new ChannelAccounts({
      database: own ?? app.database,
      vault: app.vault,
      logger: createLogger('silent'),
      maxAgeMs: 3_600_000,
    });
    await other.start();
    try {
      const agent = await newAgent();
      expect(
        (await put({ telegram: { enabled: true, bot_token: TOKEN, bot_username: 'first_bot' } }, agent))
          .status,
      ).toBe(200);
      expect((await other.resolve(agent, 'telegram'))?.settings.bot_username).toBe('first_bot');
      const samples: number[] = [];
      for (const name of ['second_bot', 'third_bot', 'fourth_bot']) {
        expect((await put({ telegram: { bot_username: name } }, agent)).status).toBe(200);
        const committed = performance.now();
        while ((await other.resolve(agent, 'telegram'))?.settings.bot_username !== name) {
          expect(performance.now() - committed, 'cache propagation bound').toBeLessThan(1000);
          await new Promise((r) => setTimeout(r, 2));
        }
        samples.push(performance.now() - committed);
      }
      process.stdout.write(
        `[channel cache] ${app.database.kind}: propagation after PUT ${samples.map((s) => s.toFixed(1)).join(', ')} ms` +
          '\n',
      );
    } finally {
      await other.close();
      await own?.close();
    }
  });
});

describe('rate limits', () => {
  it('limits PUT and test calls per user with 429 and Retry-After', async () => {
    const limited = await startTestApp({
      CHANNEL_CONFIG_WRITES_PER_MINUTE: '2',
      CHANNEL_TESTS_PER_MINUTE: '1',
    });
    try {
      const user = await registerUser(limited, 'limited');
      const org = await createOrg(limited, user);
      const project = await createProject(limited, user.token, org);
      const agent = await createAgent(limited, user.token, org, project);
      const p = `/api/v1/channels/organizations/${org}/projects/${project}/agents/${agent}/channels`;
      const body = { website: { enabled: true } };
      expect((await limited.call('PUT', p, { token: user.token, body })).status).toBe(200);
      expect((await limited.call('PUT', p, { token: user.token, body })).status).toBe(200);
      const third = await limited.call('PUT', p, { token: user.token, body });
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await limited.call('POST', `${p}/email/test`, { token: user.token })).status).toBe(400);
      expect((await limited.call('POST', `${p}/email/test`, { token: user.token })).status).toBe(429);
      // Another user has a budget of their own.
      const other = await registerUser(limited, 'other');
      expect((await limited.call('PUT', p, { token: other.token, body })).status).toBe(404);
    } finally {
      await limited.close();
    }
  });
});

describe('OpenAPI', () => {
  it('documents every channel route', async () => {
    const doc = await app.call('GET', '/api/openapi.json');
    const base = '/api/v1/channels/organizations/{orgId}/projects/{projectId}/agents/{agentId}/channels';
    expect(Object.keys(doc.body.paths[base])).toEqual(expect.arrayContaining(['get', 'put']));
    expect(doc.body.paths[`${base}/enabled`].get).toBeDefined();
    expect(doc.body.paths[`${base}/{channel}/test`].post).toBeDefined();
    expect(doc.body.paths[`${base}/telegram/webhook/setup`].post).toBeDefined();
    expect(doc.body.paths[`${base}/telegram/webhook/info`].get).toBeDefined();
  });
});

describe('secret leaks', () => {
  it('no test secret appears in any response body or log line of this file (every test app re-checks on close)', () => {
    expect(app.responses.length).toBeGreaterThan(50);
    const leaks = findLeaks([
      ...app.responses.map((text, i) => ({ where: `response ${i}`, text })),
      ...app.logs.map((text, i) => ({ where: `log ${i}`, text })),
    ]);
    expect(leaks).toEqual([]);
    expect(findLeaks([{ where: 'canary', text: `…${TOKEN}…` }])).toHaveLength(1);
  });
});
