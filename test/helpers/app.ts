import { SessionTokens } from '../../src/auth/sessions.ts';
import { ChannelAccounts } from '../../src/channels/accounts.ts';
import type { DNSResolver } from '../../src/channels/email/authenticate.ts';
import { AdapterRegistry } from '../../src/channels/registry.ts';
import type { ProviderAdapter } from '../../src/channels/types.ts';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/client.ts';
import type { Engine } from '../../src/engine/engine.ts';
import type { AgentResponder } from '../../src/engine/responder.ts';
import type { createApp } from '../../src/http/app.ts';
import { vaultFromConfig } from '../../src/vault/keys.ts';
import type { Vault } from '../../src/vault/vault.ts';
import { wireApp } from '../../src/wiring.ts';
import { listen } from '../../src/http/listen.ts';
import { createTestDatabase } from './database.ts';
import { captureLogger } from './logs.ts';
import { findLeaks, vaultKey } from './secrets.ts';

/** One vault key for the whole file unless a test passes its own CHANNEL_ENCRYPTION_KEY. */
const DEFAULT_VAULT_KEY = vaultKey();

export type TestAppOptions = {
  /** Provider adapters to use instead of the built-in registry (e.g. with hooks pointed at a fake server). */
  adapters?: ProviderAdapter[];
  fetch?: typeof fetch;
  /** Use this database instead of a fresh one (it is then not closed by the app). */
  database?: Database;
  /** Start the conversation engine too (queue + workers), with an optional scripted agent and clock. */
  engine?: { responder?: AgentResponder; now?: () => Date };
  /** DNS for inbound mail authentication (a fixture zone). */
  dnsResolver?: DNSResolver;
};

export type ApiResponse = { status: number; body: any; headers: Headers; text: string };
export type CallOptions = {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  rawBody?: string;
};

export type TestApp = {
  url: string;
  database: Database;
  engine?: Engine;
  sessions: SessionTokens;
  channelAccounts: ChannelAccounts;
  vault: Vault;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  /** Every response body the suite received, for leak checks. */
  responses: string[];
  /** How many requests the webhook fast lane answered (the rest went to Hono). */
  laneTaken(): number;
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
};

/** Boots the real app on 127.0.0.1 with a clean database, capturing logs. */
export async function startTestApp(
  env: Record<string, string> = {},
  extend?: (app: ReturnType<typeof createApp>) => void,
  options: TestAppOptions = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
    LOG_LEVEL: 'info',
    REGISTER_LIMIT_PER_HOUR: '100000',
    CHANNEL_ENCRYPTION_KEY: DEFAULT_VAULT_KEY,
    // The fake LLM and peers listen on 127.0.0.1; tests of the outbound guard pass 'false'.
    OUTBOUND_ALLOW_PRIVATE: 'true',
    ...env,
  });
  const { logger, lines: logs } = captureLogger(config.LOG_LEVEL);
  const sessions = new SessionTokens(config.JWT_SECRET as string, config.SESSION_TTL);
  const vault = vaultFromConfig(config, logger);
  const registry = options.adapters ? new AdapterRegistry(options.adapters) : undefined;
  const channelAccounts = new ChannelAccounts({ database, vault, logger, registry });
  await channelAccounts.start();
  const { app, lane, engine, events } = await wireApp({
    config,
    database,
    logger,
    vault,
    sessions,
    channelAccounts,
    fetch: options.fetch,
    engine: options.engine ?? false,
    ...(options.dnsResolver ? { dnsResolver: options.dnsResolver } : {}),
  });
  extend?.(app);
  let laneTaken = 0;
  const countedLane: typeof lane = lane && ((req, res) => (lane(req, res) ? ++laneTaken > 0 : false));
  const server = listen(app, countedLane, { port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const url = `http://127.0.0.1:${address.port}`;
  const responses: string[] = [];

  const call = async (method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    responses.push(text);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, headers: res.headers, text };
  };

  return {
    url,
    database,
    ...(engine ? { engine } : {}),
    sessions,
    channelAccounts,
    vault,
    logs,
    responses,
    laneTaken: () => laneTaken,
    call,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine?.stop();
      await events.stop();
      await channelAccounts.close();
      if (!options.database) await database.close();
      const leaks = findLeaks([
        ...responses.map((text, i) => ({ where: `response ${i}`, text })),
        ...logs.map((text, i) => ({ where: `log line ${i}`, text })),
      ]);
      if (leaks.length) throw new Error(`Secrets leaked:\n${leaks.join('\n')}`);
    },
  };
}
