import { setPasswordHashConcurrency } from './auth/passwords.ts';
import { createAgentDeps } from './agent/wiring.ts';
import type { SessionTokens } from './auth/sessions.ts';
import type { ChannelAccounts } from './channels/accounts.ts';
import type { DNSResolver } from './channels/email/authenticate.ts';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import { createSenderLookup } from './engine/channel-senders.ts';
import { type Engine, startEngine } from './engine/engine.ts';
import { engineOptionsFrom } from './engine/options.ts';
import type { AgentResponder } from './engine/responder.ts';
import { startEvents, type EventsService } from './events/service.ts';
import { createApp } from './http/app.ts';
import { securityHeaders } from './http/security-headers.ts';
import type { AppDeps } from './http/env.ts';
import { createWebhookFastLane, type WebhookLane } from './engine/webhook-fast-lane.ts';
import type { RateLimitFactory } from './http/rate-limit.ts';
import type { Logger } from './logger.ts';
import { imapOptionsFrom, withImapPollers } from './mail/imap-pollers.ts';
import { createSandboxOutbox } from './playground/outbox.ts';
import type { Vault } from './vault/vault.ts';

export type WiringDeps = {
  config: Config;
  database: Database;
  logger: Logger;
  vault: Vault;
  sessions: SessionTokens;
  channelAccounts: ChannelAccounts;
  /** HTTP client for provider adapters (tests point it at fake servers). */
  fetch?: typeof fetch;
  /**
   * Start the conversation engine (queue and workers); `responder` replaces the agent service and `now` the
   * engine's clock (tests).
   */
  engine: false | { responder?: AgentResponder; now?: () => Date };
  rateLimits?: RateLimitFactory;
  /** DNS for inbound mail authentication (tests: a fixture zone); default: the system resolver. */
  dnsResolver?: DNSResolver;
};

/**
 * Wires the services behind the HTTP app — sender lookup, agent service, conversation engine — and the app
 * itself. The server and the test app both start here, so tests run the production wiring.
 */
export async function wireApp(deps: WiringDeps): Promise<{
  app: ReturnType<typeof createApp>;
  /** Provider webhooks without Hono (absent with WEBHOOK_FAST_LANE=false). */
  lane?: WebhookLane;
  engine?: Engine;
  events: EventsService;
}> {
  const { config, database, logger, vault, sessions, channelAccounts } = deps;
  setPasswordHashConcurrency(config.PASSWORD_HASH_CONCURRENCY);
  // The sandbox outbox confirms deliveries through the engine's ingest, which exists once the engine started.
  const running: { ingestor?: Engine['ingestor'] } = {};
  const sandboxOutbox = createSandboxOutbox(database, () => running.ingestor);
  const senders = createSenderLookup({
    config,
    database,
    logger,
    channelAccounts,
    fetch: deps.fetch,
    sandboxOutbox,
  });
  const agentDeps = createAgentDeps({ config, database, vault, logger, sessions });
  const started = deps.engine
    ? await startEngine({
        database,
        logger,
        responder: deps.engine.responder ?? agentDeps.responder,
        senders,
        options: engineOptionsFrom(config),
        ...(deps.engine.now ? { now: deps.engine.now } : {}),
        ...(deps.dnsResolver ? { dnsResolver: deps.dnsResolver } : {}),
      })
    : undefined;
  // IMAP mailboxes feed the engine's ingest: their pollers run exactly while the engine does.
  const engine = started
    ? await withImapPollers(started, { database, channelAccounts, logger, ...imapOptionsFrom(config) })
    : undefined;
  if (engine) running.ingestor = engine.ingestor;
  // Live events: SSE in every process; webhook sending and pruning where the engine's workers run.
  if (engine && !config.WORKERS && database.kind === 'pglite') {
    logger.warn('WORKERS=false on the embedded database: queued work waits until a start with workers');
  }
  const background = Boolean(engine) && config.WORKERS;
  const events = await startEvents({ config, database, logger, vault, background });
  try {
    const appDeps: AppDeps = {
      config,
      database,
      logger,
      sessions,
      vault,
      channelAccounts,
      fetch: deps.fetch,
      engine,
      senders,
      chats: agentDeps.chats,
      visitors: agentDeps.visitors,
      events,
      ...(deps.rateLimits ? { rateLimits: deps.rateLimits } : {}),
    };
    const headers = await securityHeaders();
    const app = createApp(appDeps, headers);
    const lane = config.WEBHOOK_FAST_LANE ? createWebhookFastLane(appDeps, headers.page) : undefined;
    return { app, ...(lane ? { lane } : {}), ...(engine ? { engine } : {}), events };
  } catch (error) {
    // The caller never sees this engine: stop its workers here.
    await engine?.stop().catch(() => {});
    await events.stop().catch(() => {});
    throw error;
  }
}
