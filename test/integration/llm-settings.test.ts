import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLlmTargets } from '../../src/agent/llm/targets.ts';
import { bootstrapFirstRun } from '../../src/bootstrap/first-run.ts';
import { agents, llmKeySecrets } from '../../src/db/schema.ts';
import { readLlmKeySecret } from '../../src/platform/llm-keys.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { createOrg, createProject, registerUser, type TestUser } from '../helpers/fixtures.ts';

let app: TestApp;
let owner: TestUser;
let orgId: string;
let projectId: string;
let otherProjectId: string;
let openaiKey: string;
let anthropicKey: string;
let foreignKey: string;
const base = (pid = projectId) => `/api/v1/organizations/${orgId}/projects/${pid}`;

const OPENAI_SECRET = 'sk-openai-secret-for-targets-0001';
const ANTHROPIC_SECRET = 'sk-ant-secret-for-targets-0002';

async function addKey(pid: string, provider: string, key: string): Promise<string> {
  const res = await app.call('POST', `${base(pid)}/api-keys`, {
    token: owner.token,
    body: { name: `${provider} key`, provider, key },
  });
  expect(res.status).toBe(201);
  return res.body.data._id as string;
}

beforeAll(async () => {
  app = await startTestApp();
  owner = await registerUser(app, 'llmset');
  orgId = await createOrg(app, owner, 'LLM Org');
  projectId = await createProject(app, owner.token, orgId, 'LLM Project');
  otherProjectId = await createProject(app, owner.token, orgId, 'Other Project');
  openaiKey = await addKey(projectId, 'openai', OPENAI_SECRET);
  anthropicKey = await addKey(projectId, 'anthropic', ANTHROPIC_SECRET);
  foreignKey = await addKey(otherProjectId, 'anthropic', 'sk-ant-foreign');
});
afterAll(() => app?.close());

const createAgent = (llm_settings: unknown, api_key?: string) =>
  app.call('POST', `${base()}/agents`, {
    token: owner.token,
    body: { name: 'fb', llm_settings, ...(api_key ? { api_key } : {}) },
  });

describe('agent llm_settings.fallback', () => {
  it('rejects a fallback key from another project, of another provider, or a compatible fallback without base_url', async () => {
    const primary = { provider: 'openai', model: 'gpt-4o-mini' };
    const cases: Array<[unknown, string]> = [
      [
        { provider: 'anthropic', model: 'c', api_key: foreignKey },
        'llm_settings.fallback.api_key: no LLM key',
      ],
      [
        { provider: 'anthropic', model: 'c', api_key: openaiKey },
        'llm_settings.fallback.api_key: this key is for openai',
      ],
      [{ provider: 'openai-compatible', model: 'llama3' }, 'llm_settings.fallback.base_url: is required'],
      [{ provider: 'skynet', model: 'c' }, 'llm_settings.fallback.provider'],
      [{ provider: 'openai', model: 'c', base_url: 'ftp://x' }, 'llm_settings.fallback.base_url'],
      [
        {
          provider: 'anthropic',
          model: 'c',
          api_key: anthropicKey,
          base_url: 'https://proxy.example.test/v1',
        },
        'llm_settings.fallback.base_url: not allowed with a stored key',
      ],
    ];
    for (const [fallback, message] of cases) {
      const res = await createAgent({ ...primary, fallback }, openaiKey);
      expect(res.status, JSON.stringify(fallback)).toBe(400);
      expect(res.body.error).toContain(message);
    }
  });

  it('stores a valid fallback, replaces it on update, removes it with null, and blocks deleting its key', async () => {
    const created = await createAgent(
      {
        provider: 'openai',
        model: 'gpt-4o-mini',
        fallback: { provider: 'anthropic', model: 'claude-x', api_key: anthropicKey },
      },
      openaiKey,
    );
    expect(created.status).toBe(201);
    expect(created.body.data.llm_settings.fallback).toEqual({
      provider: 'anthropic',
      model: 'claude-x',
      api_key: anthropicKey,
    });
    const id = created.body.data._id as string;

    const inUse = await app.call('DELETE', `${base()}/api-keys/${anthropicKey}`, { token: owner.token });
    expect(inUse.status).toBe(409);

    const bad = await app.call('PUT', `${base()}/agents/${id}`, {
      token: owner.token,
      body: { llm_settings: { fallback: { provider: 'openai', model: 'x', api_key: anthropicKey } } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('llm_settings.fallback.api_key');

    const replaced = await app.call('PUT', `${base()}/agents/${id}`, {
      token: owner.token,
      body: {
        llm_settings: {
          parameters: { temperature: 0.1 },
          fallback: { provider: 'openai-compatible', model: 'llama3', base_url: 'http://127.0.0.1:11434/v1' },
        },
      },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.data.llm_settings).toMatchObject({
      provider: 'openai',
      parameters: { temperature: 0.1 },
      fallback: { provider: 'openai-compatible', model: 'llama3', base_url: 'http://127.0.0.1:11434/v1' },
    });

    const removed = await app.call('PUT', `${base()}/agents/${id}`, {
      token: owner.token,
      body: { llm_settings: { fallback: null } },
    });
    expect(removed.status).toBe(200);
    expect(removed.body.data.llm_settings.fallback).toBeUndefined();
    expect(removed.body.data.llm_settings.model).toBe('gpt-4o-mini');
  });
});

describe('resolveLlmTargets', () => {
  it('opens the primary and fallback keys from the vault and shares the parameters', async () => {
    const row = {
      projectId,
      llmKeyId: openaiKey,
      llmSettings: {
        provider: 'openai' as const,
        model: 'gpt-4o-mini',
        parameters: { max_tokens: 100 },
        fallback: { provider: 'anthropic' as const, model: 'claude-x', api_key: anthropicKey },
      },
    };
    const targets = await resolveLlmTargets(app.database.db, app.vault, row);
    expect(targets.primary).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
      apiKey: OPENAI_SECRET,
      parameters: { max_tokens: 100 },
    });
    expect(targets.fallback).toEqual({
      provider: 'anthropic',
      model: 'claude-x',
      apiKey: ANTHROPIC_SECRET,
      parameters: { max_tokens: 100 },
    });
  });

  it('gives dev without a key, and a clear error without key material for a missing or foreign key', async () => {
    const dev = await resolveLlmTargets(app.database.db, app.vault, {
      projectId,
      llmKeyId: null,
      llmSettings: { provider: 'dev', model: 'dev', parameters: {} },
    });
    expect(dev).toEqual({ primary: { provider: 'dev', model: 'dev', parameters: {} } });

    const foreign = resolveLlmTargets(app.database.db, app.vault, {
      projectId,
      llmKeyId: foreignKey,
      llmSettings: { provider: 'anthropic', model: 'c', parameters: {} },
    });
    await expect(foreign).rejects.toMatchObject({ code: 'llm_not_configured' });
    await expect(foreign).rejects.toThrow(/does not exist in its project/);

    const noKey = resolveLlmTargets(app.database.db, app.vault, {
      projectId,
      llmKeyId: null,
      llmSettings: { provider: 'openai', model: 'm', parameters: {} },
    });
    await expect(noKey).rejects.toThrow(/names no LLM key/);

    const missingFallback = await resolveLlmTargets(app.database.db, app.vault, {
      projectId,
      llmKeyId: openaiKey,
      llmSettings: {
        provider: 'openai',
        model: 'm',
        parameters: {},
        fallback: { provider: 'anthropic', model: 'c', api_key: 'llmkey_missing' },
      },
    }).catch((e: Error) => e);
    expect(missingFallback).toBeInstanceOf(Error);
    expect((missingFallback as Error).message).not.toContain(OPENAI_SECRET);
  });
});

describe('demo agent on first run', () => {
  it('uses dev without keys, and OpenAI (key sealed in the vault, model overridable) when OPENAI_API_KEY is set', async () => {
    const plain = await createTestDatabase();
    const sealed = await createTestDatabase();
    try {
      const none = await bootstrapFirstRun(plain.db, 'a@example.com', { vault: app.vault });
      const [devAgent] = await plain.db.select().from(agents);
      expect(none?.agentId).toBe(devAgent?.id);
      expect(devAgent?.llmSettings.provider).toBe('dev');
      expect(devAgent?.llmKeyId).toBeNull();

      const secret = 'sk-demo-openai-key-000111222333';
      await bootstrapFirstRun(sealed.db, 'b@example.com', {
        vault: app.vault,
        openaiApiKey: secret,
        anthropicApiKey: 'sk-ant-ignored',
        model: 'gpt-4.1-mini',
      });
      const [agent] = await sealed.db.select().from(agents);
      expect(agent?.llmSettings).toEqual({ provider: 'openai', model: 'gpt-4.1-mini', parameters: {} });
      expect(agent?.llmKeyId).toBeTruthy();
      const [stored] = await sealed.db.select().from(llmKeySecrets);
      expect(stored?.secret).not.toContain(secret);
      // Bound to the provider's default endpoint (no base_url) so no agent setting can send it elsewhere.
      expect(await readLlmKeySecret(sealed.db, app.vault, agent!.projectId, agent!.llmKeyId!)).toEqual({
        provider: 'openai',
        baseUrl: null,
        secret,
      });
    } finally {
      await plain.close();
      await sealed.close();
    }
  });

  it('uses Anthropic with its default model when only ANTHROPIC_API_KEY is set', async () => {
    const database = await createTestDatabase();
    try {
      await bootstrapFirstRun(database.db, 'c@example.com', {
        vault: app.vault,
        anthropicApiKey: 'sk-ant-demo',
      });
      const [agent] = await database.db.select().from(agents);
      expect(agent?.llmSettings).toMatchObject({ provider: 'anthropic', model: 'claude-3-5-haiku-latest' });
    } finally {
      await database.close();
    }
  });
});
