import type { Config } from '../config.ts';
import { DEFAULT_RETRY } from './delivery.ts';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from './engine.ts';

/** Engine settings from the environment, over the defaults. */
export function engineOptionsFrom(config: Config): EngineOptions {
  return {
    ...DEFAULT_ENGINE_OPTIONS,
    debounceMs: { ...DEFAULT_ENGINE_OPTIONS.debounceMs, ...config.TURN_DEBOUNCE_MS },
    inactivityMs: config.CONVERSATION_INACTIVITY * 1000,
    eventRetentionMs: config.INBOUND_EVENT_RETENTION * 1000,
    retry: { ...DEFAULT_RETRY, maxAttempts: config.DELIVERY_MAX_ATTEMPTS },
    concurrency: config.WORKER_CONCURRENCY,
    batchSize: config.WORKER_BATCH_SIZE,
    workers: config.WORKERS,
    embeddedVacuumIntervalMs: config.EMBEDDED_VACUUM_INTERVAL_MS,
    inboundTextMaxChars: config.INBOUND_TEXT_MAX_CHARS,
  };
}
