import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Process-wide Prometheus metrics (prom-client). Counters and histograms are incremented where the work
 * happens; gauges that need the database (queue depth, pool use) are read when /metrics is scraped.
 * Names follow Prometheus conventions: `_seconds`, `_total`, base units.
 */
export const registry = new Registry();

// Process CPU, memory, GC, handles and event-loop lag (switchboard_nodejs_eventloop_lag_*).
collectDefaultMetrics({ register: registry, prefix: 'switchboard_', eventLoopMonitoringPrecision: 20 });

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SLOW_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];

export const httpRequestSeconds = new Histogram({
  name: 'switchboard_http_request_duration_seconds',
  help: 'HTTP request latency by route pattern (never the raw path), method and status code',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const embeddedMaintenanceSeconds = new Histogram({
  name: 'switchboard_embedded_maintenance_seconds',
  help: 'Embedded database upkeep by task: vacuum (one table), checkpoint, wal_sync (before an acknowledgement or a send), cluster_sync (after a checkpoint)',
  labelNames: ['task'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** Runs `work`, timing it in `switchboard_embedded_maintenance_seconds` under `task` (when it completes). */
export async function timedMaintenance<T>(task: string, work: () => Promise<T>): Promise<T> {
  const stop = embeddedMaintenanceSeconds.startTimer({ task });
  const result = await work();
  stop();
  return result;
}

export const webhookEvents = new Counter({
  name: 'switchboard_webhook_events_total',
  help: 'Provider webhook outcomes per channel: accepted and duplicate events, rejected (bad signature) and failed (503) requests',
  labelNames: ['channel', 'outcome'] as const,
  registers: [registry],
});

export const turnSeconds = new Histogram({
  name: 'switchboard_turn_duration_seconds',
  help: 'Agent turn latency (prompt, LLM, reply stored) by channel and outcome',
  labelNames: ['channel', 'outcome'] as const,
  buckets: SLOW_BUCKETS,
  registers: [registry],
});

export const llmRequestSeconds = new Histogram({
  name: 'switchboard_llm_request_duration_seconds',
  help: 'One LLM call attempt by provider and outcome (ok or the error code)',
  labelNames: ['provider', 'outcome'] as const,
  buckets: SLOW_BUCKETS,
  registers: [registry],
});

export const llmTokens = new Counter({
  name: 'switchboard_llm_tokens_total',
  help: 'LLM tokens by provider and kind (input, output)',
  labelNames: ['provider', 'kind'] as const,
  registers: [registry],
});

export const llmErrors = new Counter({
  name: 'switchboard_llm_errors_total',
  help: 'Failed LLM call attempts by provider and error code',
  labelNames: ['provider', 'code'] as const,
  registers: [registry],
});

export const deliveries = new Counter({
  name: 'switchboard_deliveries_total',
  help: 'Outbound send attempts by channel, provider and outcome (sent, retry, failed)',
  labelNames: ['channel', 'provider', 'outcome'] as const,
  registers: [registry],
});

export const queueJobs = new Gauge({
  name: 'switchboard_queue_jobs',
  help: 'Jobs per queue and state (waiting: due and not started; deferred: scheduled later; active)',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
});

export const queueOldestWaitingSeconds = new Gauge({
  name: 'switchboard_queue_oldest_waiting_seconds',
  help: 'Age of the oldest job that is due but not started, per queue (0 when none)',
  labelNames: ['queue'] as const,
  registers: [registry],
});

export const dbPoolConnections = new Gauge({
  name: 'switchboard_db_pool_connections',
  help: 'Application PostgreSQL pool: total, idle, and requests waiting for a connection',
  labelNames: ['state'] as const,
  registers: [registry],
});

export const dbStatements = new Counter({
  name: 'switchboard_db_statements_total',
  help: 'Statements sent to PostgreSQL, each a round trip: app (the query runner, BEGIN and COMMIT included; not the ORM) or queue (pg-boss)',
  labelNames: ['pool'] as const,
  registers: [registry],
});

/** Seconds since `start` (a performance.now() reading). */
export const secondsSince = (start: number): number => (performance.now() - start) / 1000;

/** Records one LLM call attempt: its latency, and its tokens or its error code. */
export function observeLlmCall(
  provider: string,
  start: number,
  result: { usage: { inputTokens: number; outputTokens: number } } | { code: string },
): void {
  const outcome = 'code' in result ? result.code : 'ok';
  llmRequestSeconds.observe({ provider, outcome }, secondsSince(start));
  if ('code' in result) {
    llmErrors.inc({ provider, code: result.code });
    return;
  }
  llmTokens.inc({ provider, kind: 'input' }, result.usage.inputTokens);
  llmTokens.inc({ provider, kind: 'output' }, result.usage.outputTokens);
}

/** Records one agent turn (engine or in-request chat) that began at `start`. */
export function observeTurn(channel: string, outcome: string, start: number): void {
  turnSeconds.observe({ channel, outcome }, secondsSince(start));
}

export const eventStreams = new Gauge({
  name: 'switchboard_event_streams',
  help: 'Open live event streams (SSE) in this process',
  registers: [registry],
});

export const eventWebhookDeliveries = new Counter({
  name: 'switchboard_event_webhook_deliveries_total',
  help: 'Event webhook delivery attempts by outcome: delivered, retry (will be tried again) or failed (gave up)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
