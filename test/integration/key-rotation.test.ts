import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelAccounts } from '../../src/channels/accounts.ts';
import { createLogger } from '../../src/logger.ts';
import { readLlmKeySecret } from '../../src/platform/llm-keys.ts';
import { rotateSecrets, secretsByKey } from '../../src/vault/rotate.ts';
import { keyIdOf, Vault, VaultError } from '../../src/vault/vault.ts';
import { openWebhookSecret } from '../../src/events/webhook-store.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createAgent, createOrg, createProject, registerUser, type TestUser } from '../helpers/fixtures.ts';
import { randomSecret, secret, vaultKey } from '../helpers/secrets.ts';

const KEY_A = vaultKey();
const KEY_B = vaultKey();
const keyA = Buffer.from(KEY_A, 'base64');
const keyB = Buffer.from(KEY_B, 'base64');

let app: TestApp;
let owner: TestUser;
let orgId: string;
let projectId: string;
/** agent id → the plaintext of each channel secret it stores. */
const stored = new Map<string, Record<string, string>>();
const llmKeys = new Map<string, string>();
let webhook: { id: string; secret: string };

beforeAll(async () => {
  app = await startTestApp({ CHANNEL_ENCRYPTION_KEY: KEY_A });
  owner = await registerUser(app, 'owner');
  orgId = await createOrg(app, owner);
  projectId = await createProject(app, owner.token, orgId);
  for (let i = 0; i < 3; i++) {
    const agent = await createAgent(app, owner.token, orgId, projectId);
    const bot = secret(`${4000 + i}123:${randomBytes(18).toString('base64url')}`);
    const auth = randomSecret('tw');
    const res = await app.call(
      'PUT',
      `/api/v1/channels/organizations/${orgId}/projects/${projectId}/agents/${agent}/channels`,
      {
        token: owner.token,
        body: {
          telegram: { enabled: true, bot_token: bot },
          whatsapp: {
            enabled: true,
            provider: 'twilio',
            phone_number: '+14155551234',
            credentials: { account_sid: `AC${randomBytes(16).toString('hex')}`, auth_token: auth },
          },
        },
      },
    );
    expect(res.status, res.text).toBe(200);
    const account = await app.channelAccounts.resolve(agent, 'telegram');
    stored.set(agent, {
      'telegram/bot_token': bot,
      'telegram/webhook_secret': (await account?.secret('webhook_secret')) as string,
      'whatsapp/credentials.auth_token': auth,
    });
  }
  for (let i = 0; i < 2; i++) {
    const key = randomSecret('sk-');
    const res = await app.call('POST', `/api/v1/organizations/${orgId}/projects/${projectId}/api-keys`, {
      token: owner.token,
      body: { name: `k${i}`, provider: 'openai', key },
    });
    llmKeys.set(res.body.data._id, key);
  }
  // A key stored before the vault existed (plaintext): rotation seals it too.
  const legacy = randomSecret('sk-legacy-');
  await app.database.query(
    "insert into llm_keys (id, organization_id, project_id, name, provider) values ('llmkey_legacy', $1, $2, 'old', 'openai')",
    [orgId, projectId],
  );
  await app.database.query("insert into llm_key_secrets (key_id, secret) values ('llmkey_legacy', $1)", [
    legacy,
  ]);
  llmKeys.set('llmkey_legacy', legacy);
  const hook = await app.call('POST', `/api/v1/organizations/${orgId}/event-webhooks`, {
    token: owner.token,
    body: { url: 'https://example.test/hook', event_types: ['message.received'] },
  });
  expect(hook.status, hook.text).toBe(201);
  webhook = { id: hook.body.data._id, secret: hook.body.data.secret };
});
afterAll(() => app?.close());

async function expectAllReadableWith(vault: Vault) {
  const accounts = new ChannelAccounts({ database: app.database, vault, logger: createLogger('silent') });
  for (const [agent, secrets] of stored) {
    for (const [key, plaintext] of Object.entries(secrets)) {
      const [channel, field] = key.split('/') as ['telegram' | 'whatsapp', string];
      const account = await accounts.resolve(agent, channel);
      expect(await account?.secret(field)).toBe(plaintext);
    }
  }
  for (const [id, plaintext] of llmKeys) {
    expect((await readLlmKeySecret(app.database.db, vault, projectId, id))?.secret).toBe(plaintext);
  }
  const [hook] = await app.database.query<{ secret: string }>(
    'select secret from event_webhooks where id = $1',
    [webhook.id],
  );
  expect(openWebhookSecret(vault, webhook.id, hook?.secret as string)).toBe(webhook.secret);
}

describe('key rotation', () => {
  it('re-encrypts every value under the new key, resumably; the old key can then be removed', async () => {
    expect(await secretsByKey(app.database)).toEqual({ [keyIdOf(keyA)]: 9 + 2 + 1, plaintext: 1 });
    const rotating = new Vault(keyB, [keyA]);

    // Interrupted after the first batch: what was done stays done, and a second run finishes the rest.
    const interrupted = await rotateSecrets(app.database, rotating, {
      batchSize: 2,
      onBatch: () => {
        throw new Error('interrupted');
      },
    }).catch((err: Error) => err);
    expect(interrupted).toBeInstanceOf(Error);
    expect(await secretsByKey(app.database)).toEqual({
      [keyIdOf(keyA)]: 7 + 2 + 1,
      [keyIdOf(keyB)]: 2,
      plaintext: 1,
    });

    const report = await rotateSecrets(app.database, rotating, { batchSize: 2 });
    expect(report).toEqual({ channelSecrets: 7, llmKeys: 3, eventWebhookSecrets: 1 });
    expect(await secretsByKey(app.database)).toEqual({ [keyIdOf(keyB)]: 13 });
    expect(await rotateSecrets(app.database, rotating)).toEqual({
      channelSecrets: 0,
      llmKeys: 0,
      eventWebhookSecrets: 0,
    });

    await expectAllReadableWith(new Vault(keyB));
    const oldOnly = new Vault(keyA);
    const accounts = new ChannelAccounts({
      database: app.database,
      vault: oldOnly,
      logger: createLogger('silent'),
    });
    const [agent] = stored.keys();
    await expect((await accounts.resolve(agent as string, 'telegram'))?.secret('bot_token')).rejects.toThrow(
      VaultError,
    );
  });
});
