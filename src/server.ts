import { closeSmtpPools } from './channels/smtp/transport.ts';
import fs from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { serve } from '@hono/node-server';
import { SessionTokens } from './auth/sessions.ts';
import { ChannelAccounts } from './channels/accounts.ts';
import { bootstrapFirstRun, type FirstRunCredentials } from './bootstrap/first-run.ts';
import { loadOrCreateLocalSecret } from './bootstrap/local-secret.ts';
import type { Config } from './config.ts';
import { type Database, openDatabase } from './db/client.ts';
import { lockDataDir } from './db/data-dir-lock.ts';
import { migrate } from './db/migrate.ts';
import { postgresRateLimits } from './http/rate-limit-postgres.ts';
import type { Engine } from './engine/engine.ts';
import type { Logger } from './logger.ts';
import { vaultFromConfig } from './vault/keys.ts';
import { wireApp } from './wiring.ts';
import { listen } from './http/listen.ts';
import type { EventsService } from './events/service.ts';

export type RunningServer = {
  url: string;
  port: number;
  database: Database;
  firstRun?: FirstRunCredentials;
  /** Stops accepting, drains in-flight requests (up to SHUTDOWN_TIMEOUT_MS), closes the database, frees the lock. */
  close(): Promise<void>;
};

/** Opens the configured database: PostgreSQL when DATABASE_URL is set, else PGlite in DATA_DIR under a lock. */
export async function openConfiguredDatabase(
  config: Config,
): Promise<{ database: Database; release: () => void }> {
  if (config.DATABASE_URL) {
    const database = await openDatabase({
      kind: 'postgres',
      url: config.DATABASE_URL,
      poolMax: config.DATABASE_POOL_MAX,
      preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    });
    return { database, release: () => {} };
  }
  const release = lockDataDir(config.DATA_DIR);
  try {
    const database = await openDatabase({
      kind: 'pglite',
      dataDir: path.join(config.DATA_DIR, 'pgdata'),
      walSync: config.EMBEDDED_WAL_SYNC,
    });
    return { database, release };
  } catch (err) {
    release();
    throw err;
  }
}

function jwtSecret(config: Config, logger: Logger): string {
  if (config.JWT_SECRET) return config.JWT_SECRET;
  const { value, created } = loadOrCreateLocalSecret(config.DATA_DIR, 'jwt-secret');
  if (created) {
    logger.warn(
      { file: path.join(config.DATA_DIR, 'secrets', 'jwt-secret') },
      'JWT_SECRET is not set; generated a session signing secret in DATA_DIR. Set JWT_SECRET in production.',
    );
  }
  return value;
}

const firstRunFile = (config: Config) => path.join(config.DATA_DIR, 'first-run-credentials.txt');

/**
 * Writes the first-run credentials to DATA_DIR (0600) as soon as they exist, before the server listens, so a
 * start that fails later (port in use) or a scrolled-away terminal never loses them.
 */
function saveFirstRun(config: Config, creds: FirstRunCredentials): string {
  fs.mkdirSync(config.DATA_DIR, { recursive: true, mode: 0o700 });
  const file = firstRunFile(config);
  const text = [
    `login_email=${creds.email}`,
    `login_password=${creds.password}`,
    `api_token=${creds.apiToken}`,
    `organization_id=${creds.organizationId}`,
    `project_id=${creds.projectId}`,
    `demo_agent_id=${creds.agentId}`,
    '',
  ].join('\n');
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return file;
}

/** Starts Switchboard: database, migrations, first-run bootstrap, HTTP server. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const vault = vaultFromConfig(config, logger);
  const { database, release } = await openConfiguredDatabase(config);
  let server: ReturnType<typeof serve> | undefined;
  let engine: Engine | undefined;
  let events: EventsService | undefined;
  let rateLimitStore: Awaited<ReturnType<typeof postgresRateLimits>> | undefined;
  const channelAccounts = new ChannelAccounts({ database, vault, logger });
  try {
    await migrate(database);
    await channelAccounts.start();
    const firstRun = await bootstrapFirstRun(database.db, config.BOOTSTRAP_EMAIL, {
      vault,
      openaiApiKey: config.OPENAI_API_KEY,
      anthropicApiKey: config.ANTHROPIC_API_KEY,
      model: config.DEMO_AGENT_MODEL,
    });
    const savedTo = firstRun ? saveFirstRun(config, firstRun) : undefined;
    const sessions = new SessionTokens(jwtSecret(config, logger), config.SESSION_TTL);
    if (config.RATE_LIMIT_STORE === 'postgres' && config.DATABASE_URL) {
      rateLimitStore = await postgresRateLimits(config.DATABASE_URL);
    }
    const wired = await wireApp({
      config,
      database,
      logger,
      vault,
      sessions,
      channelAccounts,
      engine: {},
      ...(rateLimitStore ? { rateLimits: rateLimitStore.factory } : {}),
    });
    engine = wired.engine;
    events = wired.events;
    const app = wired.app;
    await rateLimitStore?.ready();
    const listening = Promise.withResolvers<AddressInfo>();
    server = listen(app, wired.lane, { port: config.PORT, hostname: config.HOST }, listening.resolve);
    server.once('error', listening.reject);
    const address = await listening.promise;
    const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST;
    const url = config.PUBLIC_URL ?? `http://${host}:${address.port}`;
    let closing: Promise<void> | undefined;
    const running: RunningServer = {
      url,
      port: address.port,
      database,
      close: () => {
        // Open event streams end now (clients reconnect elsewhere); webhook POSTs in flight finish.
        const eventsStopped = events?.stop().catch(() => {});
        closing ??= shutdown(
          server as NonNullable<typeof server>,
          async () => {
            // Workers finish their current jobs (bounded); unfinished ones are retried by the next process.
            await engine?.stop().catch(() => {});
            await eventsStopped;
            closeSmtpPools();
            await channelAccounts.close();
            await rateLimitStore?.close().catch(() => {});
            await database.close();
          },
          release,
          config.SHUTDOWN_TIMEOUT_MS,
        );
        return closing;
      },
    };
    if (firstRun && savedTo) {
      running.firstRun = firstRun;
      printFirstRun(url, firstRun, savedTo, config.NODE_ENV === 'production');
    } else if (fs.existsSync(firstRunFile(config))) {
      logger.warn(
        { file: firstRunFile(config) },
        'first-run credentials are still on disk: store them somewhere safe and delete the file',
      );
    }
    logger.info({ url, database: database.kind, port: address.port }, 'switchboard listening');
    return running;
  } catch (err) {
    server?.close();
    await engine?.stop().catch(() => {});
    await events?.stop().catch(() => {});
    await channelAccounts.close().catch(() => {});
    await rateLimitStore?.close().catch(() => {});
    await database.close().catch(() => {});
    release();
    throw err;
  }
}

async function shutdown(
  server: ReturnType<typeof serve>,
  closeStorage: () => Promise<void>,
  release: () => void,
  timeoutMs: number,
): Promise<void> {
  const http = server as HttpServer;
  const drained = new Promise<void>((resolve) => http.close(() => resolve()));
  // Keep-alive sockets go idle as their last response ends; close them as they do instead of waiting them out.
  const sweeper = setInterval(() => http.closeIdleConnections(), 50);
  http.closeIdleConnections();
  const timer = setTimeout(() => http.closeAllConnections(), timeoutMs);
  await drained;
  clearInterval(sweeper);
  clearTimeout(timer);
  await closeStorage();
  release();
}

/**
 * The first-run banner. In production the password and token stay out of stdout (log collectors keep it): the
 * banner says where the 0600 file with them is instead.
 */
function printFirstRun(url: string, creds: FirstRunCredentials, file: string, production: boolean): void {
  const secrets = production
    ? [`  Login password  (in ${file})`, `  API token       (in ${file})`]
    : [`  Login password  ${creds.password}`, `  API token       ${creds.apiToken}`];
  const token = production ? '<api_token from the file>' : creds.apiToken;
  const lines = [
    '',
    production
      ? `  Switchboard is ready. First run: the password and API token are in ${file} (mode 0600), not shown here.`
      : '  Switchboard is ready. First run: these credentials are shown once.',
    '',
    `  Login email     ${creds.email}`,
    ...secrets,
    `  Organization    ${creds.organizationId}`,
    `  Project         ${creds.projectId}`,
    `  Demo agent      ${creds.agentId}`,
    '',
    `  Console         ${url}/console`,
    `  Widget demo     ${url}/widget/demo?agent=${creds.agentId}`,
    `  API docs        ${url}/docs`,
    `  Health          ${url}/healthz   ${url}/readyz`,
    `  Saved to        ${file} (mode 0600)`,
    '',
    `  Try it:  curl -H "Authorization: Bearer ${token}" ${url}/api/v1/organizations`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
