import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelAccounts } from '../../src/channels/accounts.ts';
import { createLogger } from '../../src/logger.ts';
import { vaultFromConfig } from '../../src/vault/keys.ts';
import { loadConfig } from '../../src/config.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createAgent, createOrg, createProject, registerUser } from '../helpers/fixtures.ts';
import { listeningUrl, type ServerProcess, spawnServer } from '../helpers/process.ts';
import { secret, vaultKey } from '../helpers/secrets.ts';

const adminUrl = process.env.TEST_DATABASE_URL;
const KEY = vaultKey();
const JWT = 'test-secret-test-secret-test-secret-0123';

/**
 * Two processes on one PostgreSQL: `npm start` in a child process takes the PUT; this process's ChannelAccounts
 * (its own pool and LISTEN connection) must see it within 1 s. Runs where TEST_DATABASE_URL is set.
 */
describe.skipIf(!adminUrl)('channel config cache across processes', () => {
  let app: TestApp;
  let child: ServerProcess;
  let childUrl: string;

  beforeAll(async () => {
    process.env.SWITCHBOARD_TEST_DB = 'postgres';
    app = await startTestApp({ CHANNEL_ENCRYPTION_KEY: KEY, JWT_SECRET: JWT });
    child = spawnServer({
      DATABASE_URL: app.database.url as string,
      CHANNEL_ENCRYPTION_KEY: KEY,
      JWT_SECRET: JWT,
      DATA_DIR: `/tmp/sb-cache-${randomBytes(4).toString('hex')}`,
    });
    childUrl = await listeningUrl(child);
  });
  afterAll(async () => {
    child?.child.kill('SIGTERM');
    await child?.exited;
    await app?.close();
  });

  it('a PUT through the other process reaches this cache within 1 s', async () => {
    const owner = await registerUser(app, 'owner');
    const org = await createOrg(app, owner);
    const project = await createProject(app, owner.token, org);
    const agent = await createAgent(app, owner.token, org, project);
    const accounts = new ChannelAccounts({
      database: app.database,
      vault: vaultFromConfig(loadConfig({ CHANNEL_ENCRYPTION_KEY: KEY }), createLogger('silent')),
      logger: createLogger('silent'),
      maxAgeMs: 3_600_000,
    });
    await accounts.start();
    const path = `${childUrl}/api/v1/channels/organizations/${org}/projects/${project}/agents/${agent}/channels`;
    const token = secret(`98765:${randomBytes(18).toString('base64url')}`);
    const samples: number[] = [];
    try {
      expect(await accounts.resolve(agent, 'telegram')).toBeNull();
      for (const name of ['first_bot', 'second_bot', 'third_bot']) {
        const res = await fetch(path, {
          method: 'PUT',
          headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ telegram: { enabled: true, bot_token: token, bot_username: name } }),
        });
        expect(res.status, await res.text()).toBe(200);
        const committed = performance.now();
        while ((await accounts.resolve(agent, 'telegram'))?.settings.bot_username !== name) {
          expect(performance.now() - committed, 'cache propagation bound').toBeLessThan(1000);
          await new Promise((r) => setTimeout(r, 2));
        }
        samples.push(performance.now() - committed);
      }
      expect(await (await accounts.resolve(agent, 'telegram'))?.secret('bot_token')).toBe(token);
      process.stdout.write(
        `[channel cache] two processes: propagation ${samples.map((s) => s.toFixed(1)).join(', ')} ms` + '\n',
      );
    } finally {
      await accounts.close();
    }
    expect(child.stdout()).not.toContain(token);
    expect(child.stderr()).not.toContain(token);
  });
});
