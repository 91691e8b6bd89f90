import { Writable } from 'node:stream';
import { serve } from '@hono/node-server';
import { SessionTokens } from '../../src/auth/sessions.ts';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/client.ts';
import { createSenderLookup } from '../../src/engine/channel-senders.ts';
import { devResponder } from '../../src/engine/dev-responder.ts';
import { type Engine, startEngine } from '../../src/engine/engine.ts';
import { engineOptionsFrom } from '../../src/engine/options.ts';
import type { AgentResponder } from '../../src/engine/responder.ts';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase } from './database.ts';

export type ApiResponse = { status: number; body: any; headers: Headers; text: string };
export type CallOptions = {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  rawBody?: string;
};

/** Start the conversation engine too (queue + workers), with an optional scripted agent. */
export type TestAppOptions = { engine?: { responder?: AgentResponder } };

export type TestApp = {
  url: string;
  database: Database;
  engine?: Engine;
  sessions: SessionTokens;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  /** Every response body the suite received, for leak checks. */
  responses: string[];
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
};

/** Boots the real app on 127.0.0.1 with a clean database, capturing logs. */
export async function startTestApp(
  env: Record<string, string> = {},
  extend?: (app: ReturnType<typeof createApp>) => void,
  options: TestAppOptions = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123',
    LOG_LEVEL: 'info',
    REGISTER_LIMIT_PER_HOUR: '100000',
    ...env,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = createLogger(config.LOG_LEVEL, sink);
  const sessions = new SessionTokens(config.JWT_SECRET as string, config.SESSION_TTL);
  const senders = createSenderLookup(config, database, logger);
  const engine = options.engine
    ? await startEngine({
        database,
        logger,
        responder: options.engine.responder ?? devResponder,
        senders,
        options: engineOptionsFrom(config),
      })
    : undefined;
  const app = createApp({ config, database, logger, sessions, engine, senders });
  extend?.(app);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
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
    logs,
    responses,
    call,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine?.stop();
      await database.close();
    },
  };
}
