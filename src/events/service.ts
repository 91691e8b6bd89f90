import { publicFetchFor } from '../channels/adapter-context.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { Vault } from '../vault/vault.ts';
import { EventHub } from './event-hub.ts';
import { pruneAgentEvents } from './retention.ts';
import type { StreamSettings } from './stream-route.ts';
import { WebhookSender } from './webhook-sender.ts';

/** How often this process prunes old events. */
const PRUNE_INTERVAL_MS = 60_000;

/** Live events in one process: the LISTEN fan-out for SSE, and (where the engine runs) webhook sending and pruning. */
export type EventsService = {
  hub: EventHub;
  stream: StreamSettings;
  sender?: WebhookSender;
  /** Ends open streams, stops sending (the current POSTs finish) and the LISTEN. */
  stop(): Promise<void>;
};

export function streamSettingsFrom(config: Config): StreamSettings {
  return {
    replayMaxAgeMs: config.EVENTS_REPLAY_MAX_AGE * 1000,
    replayMaxEvents: config.EVENTS_REPLAY_MAX_EVENTS,
    heartbeatMs: config.EVENTS_HEARTBEAT_MS,
    maxDurationMs: config.EVENTS_STREAM_MAX_MS,
    stallMs: config.SSE_STALL_MS,
  };
}

export async function startEvents(deps: {
  config: Config;
  database: Database;
  logger: Logger;
  vault: Vault;
  /** Send webhooks and prune (the processes that run the engine's workers). */
  background: boolean;
}): Promise<EventsService> {
  const { config, database, logger } = deps;
  const hub = new EventHub(database, logger, {
    perAgent: config.EVENTS_STREAMS_PER_AGENT,
    total: config.EVENTS_STREAMS_MAX,
  });
  if (!deps.background) return { hub, stream: streamSettingsFrom(config), stop: () => hub.stop() };

  const sender = new WebhookSender({
    database,
    vault: deps.vault,
    logger,
    fetch: publicFetchFor(config),
    options: {
      maxAttempts: config.EVENT_WEBHOOK_MAX_ATTEMPTS,
      retryBaseMs: config.EVENT_WEBHOOK_RETRY_BASE_MS,
      timeoutMs: config.EVENT_WEBHOOK_TIMEOUT_MS,
    },
  });
  hub.onWebhooksDue(() => sender.wake());
  await hub.start();
  sender.start();
  const prune = () =>
    pruneAgentEvents(database, config.AGENT_EVENT_RETENTION * 1000, new Date()).catch((error: unknown) =>
      logger.warn({ err: error }, 'agent event pruning failed'),
    );
  const timer = setInterval(() => void prune(), PRUNE_INTERVAL_MS);
  timer.unref();
  void prune();
  return {
    hub,
    stream: streamSettingsFrom(config),
    sender,
    stop: async () => {
      clearInterval(timer);
      await Promise.all([hub.stop(), sender.stop()]);
    },
  };
}
