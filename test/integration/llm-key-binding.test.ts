import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLlmTargets } from '../../src/agent/llm/targets.ts';
import { bootstrapFirstRun } from '../../src/bootstrap/first-run.ts';
import { agents, llmKeys } from '../../src/db/schema.ts';
import { createLlmKey as storeLlmKey } from '../../src/platform/llm-keys.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { startFakeLlm, type FakeLlm } from '../helpers/fake-llm.ts';
import {
  addMember,
  createWorkspace,
  registerUser,
  type TestUser,
  type Workspace,
} from '../helpers/fixtures.ts';
import { readBody } from '../helpers/read-body.ts';
import { postSse } from '../helpers/sse.ts';

/** An attacker's listener on 127.0.0.1: records every request whole (headers and body). */
type Listener = { url: string; seen: string[]; close(): Promise<void> };

async function startListener(): Promise<Listener> {
  const seen: string[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    seen.push(JSON.stringify({ url: req.url, headers: req.headers, body: (await readBody(req)).toString() }));
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Tests that migrate a database of their own: a cold migration takes long on a loaded machine. */
const DATABASE_TEST_BOUND = 180_000;

const PRIMARY_SECRET = 'sk-bound-primary-secret-7f3a91';
const BACKUP_SECRET = 'sk-bound-backup-secret-c04e22';

let app: TestApp;
let ws: Workspace;
let member: TestUser;
let legit: FakeLlm;
let backup: FakeLlm;
let listener: Listener;
let primaryKey: string;
let backupKey: string;
const agentPath = () => `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}`;
const keysPath = () => `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/api-keys`;

async function adminKey(baseUrl: string, key: string): Promise<string> {
  const res = await app.call('POST', keysPath(), {
    token: ws.owner.token,
    body: { name: 'bound', provider: 'openai-compatible', base_url: baseUrl, key },
  });
  expect(res.status, res.text).toBe(201);
  expect(res.body.data.base_url).toBe(baseUrl);
  return res.body.data._id;
}

/** The listener never saw a stored key, in any header or body. */
function expectNoKeyAtListener() {
  for (const request of listener.seen) {
    expect(request).not.toContain(PRIMARY_SECRET);
    expect(request).not.toContain(BACKUP_SECRET);
  }
}

beforeAll(async () => {
  app = await startTestApp({ LLM_MAX_RETRIES: '0' });
  legit = await startFakeLlm();
  backup = await startFakeLlm();
  listener = await startListener();
  ws = await createWorkspace(app, 'keyowner');
  member = await registerUser(app, 'keymember');
  await addMember(app, ws.owner, ws.orgId, member, 'member');
  primaryKey = await adminKey(legit.url, PRIMARY_SECRET);
  backupKey = await adminKey(backup.url, BACKUP_SECRET);
  const res = await app.call('PUT', agentPath(), {
    token: ws.owner.token,
    body: {
      api_key: primaryKey,
      llm_settings: {
        provider: 'openai-compatible',
        model: 'fake',
        fallback: { provider: 'openai-compatible', model: 'fake-backup', api_key: backupKey },
      },
    },
  });
  expect(res.status, res.text).toBe(200);
});

afterAll(async () => {
  await app?.close();
  await legit?.close();
  await backup?.close();
  await listener?.close();
});

describe('a stored LLM key is bound to its endpoint', () => {
  it('refuses a member who points an agent that names a stored key at another URL', async () => {
    const attempts: Array<[string, string, unknown, string]> = [
      [
        'PUT',
        agentPath(),
        { llm_settings: { base_url: listener.url } },
        'llm_settings.base_url: not allowed',
      ],
      [
        'PUT',
        agentPath(),
        {
          llm_settings: {
            fallback: {
              provider: 'openai-compatible',
              model: 'x',
              api_key: backupKey,
              base_url: listener.url,
            },
          },
        },
        'llm_settings.fallback.base_url: not allowed',
      ],
      [
        'POST',
        `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents`,
        {
          name: 'thief',
          api_key: primaryKey,
          llm_settings: { provider: 'openai-compatible', model: 'x', base_url: listener.url },
        },
        'llm_settings.base_url: not allowed',
      ],
    ];
    for (const [method, path, body, message] of attempts) {
      const res = await app.call(method, path, { token: member.token, body });
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toContain(message);
    }
    // Storing or deleting keys is for admins: a member cannot bind a key to a URL of their choosing.
    const store = await app.call('POST', keysPath(), {
      token: member.token,
      body: { name: 'mine', provider: 'openai-compatible', base_url: listener.url, key: 'sk-x' },
    });
    expect(store.status).toBe(403);
    const drop = await app.call('DELETE', `${keysPath()}/${backupKey}`, { token: member.token });
    expect(drop.status).toBe(403);
  });

  it('stores a key with its endpoint only when the endpoint is valid', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'n', provider: 'openai-compatible', key: 'k' }, 'base_url: is required'],
      [
        { name: 'n', provider: 'openai', base_url: 'http://user:pw@proxy.example.test/v1', key: 'k' },
        'base_url',
      ],
      [{ name: 'n', provider: 'openai', base_url: 'file:///etc/passwd', key: 'k' }, 'base_url'],
    ];
    for (const [body, message] of cases) {
      const res = await app.call('POST', keysPath(), { token: ws.owner.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toContain(message);
    }
  });

  it('sends the key only to its endpoint even when a row still carries an agent base_url (chat, stream, fallback, widget)', async () => {
    // A row as an attacker left it before the fix (the data migration removes these; the resolver ignores them too).
    await app.database.db
      .update(agents)
      .set({
        llmSettings: {
          provider: 'openai-compatible',
          model: 'fake',
          base_url: listener.url,
          parameters: {},
          fallback: {
            provider: 'openai-compatible',
            model: 'fake-backup',
            api_key: backupKey,
            base_url: listener.url,
          },
        },
      })
      .where(eq(agents.id, ws.agentId));

    legit.reply('from the bound endpoint');
    const chat = await app.call('POST', `${agentPath()}/chat`, {
      token: member.token,
      body: { message: 'hi' },
    });
    expect(chat.status, chat.text).toBe(200);
    expect(chat.body.response).toBe('from the bound endpoint');

    legit.reply('streamed from the bound endpoint');
    const stream = await postSse(
      `${app.url}${agentPath()}/chat/stream`,
      { message: 'stream' },
      { authorization: `Bearer ${member.token}` },
    );
    expect(stream.events.at(-1)?.data.response).toBe('streamed from the bound endpoint');

    legit.fail(500);
    backup.reply('from the bound fallback');
    const fallback = await app.call('POST', `${agentPath()}/chat`, {
      token: member.token,
      body: { message: 'x' },
    });
    expect(fallback.status, fallback.text).toBe(200);
    expect(fallback.body.response).toBe('from the bound fallback');

    const session = await app.call('POST', `/api/v1/widget/${ws.agentId}/session`, { body: {} });
    legit.reply('widget answer');
    const widget = await app.call('POST', `/api/v1/widget/${ws.agentId}/messages`, {
      headers: { authorization: `Bearer ${session.body.data.token}` },
      body: { message: 'from the page' },
    });
    expect(widget.status, widget.text).toBe(200);
    expect(JSON.stringify(widget.body)).toContain('widget answer');

    expect(listener.seen).toEqual([]);
    expect(legit.requests.every((r) => r.headers.authorization === '[present]')).toBe(true);
  });

  it('lets a keyless agent use its own base_url, which then receives no stored key', async () => {
    const created = await app.call(
      'POST',
      `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents`,
      {
        token: member.token,
        body: {
          name: 'local',
          llm_settings: { provider: 'openai-compatible', model: 'm', base_url: listener.url },
        },
      },
    );
    expect(created.status, created.text).toBe(201);
    const path = `/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${created.body.data._id}`;
    await app.call('POST', `${path}/chat`, { token: member.token, body: { message: 'hello' } });
    expect(listener.seen.length).toBeGreaterThan(0);
    expectNoKeyAtListener();
  });

  it(
    'binds the demo key from OPENAI_API_KEY to the default endpoint and ignores a base_url on its agent',
    async () => {
      const database = await createTestDatabase();
      try {
        const creds = await bootstrapFirstRun(database.db, 'demo@example.test', {
          vault: app.vault,
          openaiApiKey: PRIMARY_SECRET,
        });
        const [agent] = await database.db.select().from(agents).where(eq(agents.id, creds!.agentId));
        const tampered = { ...agent!, llmSettings: { ...agent!.llmSettings, base_url: listener.url } };
        const { primary } = await resolveLlmTargets(database.db, app.vault, tampered);
        expect(primary).toMatchObject({ provider: 'openai', apiKey: PRIMARY_SECRET });
        expect(primary.baseUrl).toBeUndefined();
      } finally {
        await database.close();
      }
    },
    DATABASE_TEST_BOUND,
  );
});

describe('the hardening data migration', () => {
  it(
    'moves one agreed endpoint onto an openai-compatible key and strips base_url from agents with a stored key',
    async () => {
      const database = await createTestDatabase();
      try {
        const { db } = database;
        const creds = await bootstrapFirstRun(db, 'mig@example.test', { vault: app.vault });
        const ids = { organizationId: creds!.organizationId, projectId: creds!.projectId };
        const agreed = await storeLlmKey(db, app.vault, {
          id: 'llmkey_agreed',
          ...ids,
          name: 'a',
          provider: 'openai-compatible',
          key: 'k1',
        });
        const split = await storeLlmKey(db, app.vault, {
          id: 'llmkey_split',
          ...ids,
          name: 'b',
          provider: 'openai-compatible',
          key: 'k2',
        });
        const openai = await storeLlmKey(db, app.vault, {
          id: 'llmkey_openai',
          ...ids,
          name: 'c',
          provider: 'openai',
          key: 'k3',
        });
        const agent = (id: string, llmKeyId: string | null, llmSettings: Record<string, unknown>) =>
          db.insert(agents).values({ id, ...ids, name: id, llmKeyId, llmSettings: llmSettings as never });
        const compat = { provider: 'openai-compatible', model: 'm', parameters: {} };
        await agent('agent_m1', agreed.id, { ...compat, base_url: 'http://models.example.test/v1' });
        await agent('agent_m2', null, {
          ...compat,
          base_url: 'http://keyless.example.test/v1',
          fallback: {
            provider: 'openai-compatible',
            model: 'f',
            api_key: agreed.id,
            base_url: 'http://models.example.test/v1',
          },
        });
        await agent('agent_m3', split.id, { ...compat, base_url: 'http://one.example.test/v1' });
        await agent('agent_m4', split.id, { ...compat, base_url: 'http://two.example.test/v1' });
        await agent('agent_m5', openai.id, {
          provider: 'openai',
          model: 'm',
          parameters: {},
          base_url: 'http://evil.example.test/v1',
        });

        const file = readFileSync(new URL('../../drizzle/0006_hardening_data.sql', import.meta.url), 'utf8');
        for (const statement of file.split('--> statement-breakpoint')) await db.execute(sql.raw(statement));

        const keys = Object.fromEntries((await db.select().from(llmKeys)).map((k) => [k.id, k.baseUrl]));
        expect(keys).toMatchObject({
          llmkey_agreed: 'http://models.example.test/v1',
          llmkey_split: null,
          llmkey_openai: null,
        });
        const rows = Object.fromEntries((await db.select().from(agents)).map((a) => [a.id, a.llmSettings]));
        for (const id of ['agent_m1', 'agent_m3', 'agent_m4', 'agent_m5'])
          expect(rows[id]?.base_url).toBeUndefined();
        expect(rows.agent_m2?.base_url).toBe('http://keyless.example.test/v1');
        expect(rows.agent_m2?.fallback).toEqual({
          provider: 'openai-compatible',
          model: 'f',
          api_key: agreed.id,
        });
      } finally {
        await database.close();
      }
    },
    DATABASE_TEST_BOUND,
  );
});
