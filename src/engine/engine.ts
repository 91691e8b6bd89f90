import type { Database } from '../db/client.ts';
import { startEmbeddedMaintenance } from '../db/embedded-maintenance.ts';
import type { Logger } from '../logger.ts';
import { startJobQueue } from '../queue/job-queue.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './delivery.ts';
import { Ingestor } from './ingest.ts';
import { MailIngestor, type RawMailInput } from './mail-ingest.ts';
import type { MailProcessDeps } from './mail-process.ts';
import { createJobHandlers, type JobContext } from './jobs.ts';
import { foldChannelAnalytics } from '../conversations/analytics.ts';
import { conversationDueNow, createQueues, QUEUES } from './queues.ts';
import { closeIdleConversations, reconcile, recoverOrphanedJobs } from './recovery.ts';
import { pruneProcessedEvents, pruneProcessedMail } from './retention.ts';
import type { AgentResponder } from './responder.ts';
import type { SenderLookup } from './senders.ts';
import { pollIdleSlots, WorkerSlots } from './worker-slots.ts';
import { analyzeJobTable, JobTableStatistics } from './job-statistics.ts';

export type EngineOptions = {
  /** Wait this long after a message before answering, per channel, so a burst gets one reply. */
  debounceMs: Record<string, number>;
  /** Debounce for channels not named in `debounceMs`. */
  defaultDebounceMs: number;
  /** A conversation idle this long is closed; the next message opens a new one. */
  inactivityMs: number;
  /** Processed inbound events and raw mail older than this are deleted by housekeeping. */
  eventRetentionMs: number;
  retry: RetryPolicy;
  /** Worker slots per queue in this process. */
  concurrency: number;
  /** Jobs a slot takes per fetch and runs at once: up to `concurrency` × this run per queue. */
  batchSize: number;
  /**
   * Run job workers and housekeeping here (default). False: an ingest-only process — webhooks are committed and
   * their jobs enqueued, and processes with workers on the same database do the work.
   */
  workers: boolean;
  /** Embedded database: one table vacuumed and analyzed this often (0 = never); PostgreSQL has autovacuum. */
  embeddedVacuumIntervalMs: number;
  /** Longest inbound message text kept (INBOUND_TEXT_MAX_CHARS); longer text is cut with a visible marker. */
  inboundTextMaxChars: number;
};

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  debounceMs: { website: 0, telegram: 1000, whatsapp: 1000, email: 1000 },
  defaultDebounceMs: 1000,
  inactivityMs: 24 * 3_600_000,
  eventRetentionMs: 30 * 86_400_000,
  retry: DEFAULT_RETRY,
  concurrency: 4,
  batchSize: 8,
  workers: true,
  embeddedVacuumIntervalMs: 15_000,
  inboundTextMaxChars: 20_000,
};

export type EngineDeps = {
  database: Database;
  logger: Logger;
  responder: AgentResponder;
  senders: SenderLookup;
  options?: Partial<EngineOptions>;
  now?: () => Date;
  /** DNS for inbound mail authentication (tests: a fixture zone); default: the system resolver. */
  dnsResolver?: MailProcessDeps['dnsResolver'];
};

/** The running conversation engine: the ingest entry point, plus a stopper. */
export type Engine = {
  ingestor: Ingestor;
  /** Durable raw-mail ingest (webhook, IMAP): resolves after the mail and its job are committed. */
  ingestRawMail(input: RawMailInput): Promise<{ duplicate: boolean }>;
  /** Runs reconciliation now (also runs every minute): re-triggers any work whose job was lost. */
  reconcile(): Promise<void>;
  /** Triggers delivery of a conversation's queued outbound messages (e.g. one an operator just queued). */
  deliver(conversationId: string): Promise<void>;
  stop(): Promise<void>;
};

/** Extra wait after a deferred job's due time before waking its workers (clock granularity). */
const WAKE_SLACK_MS = 15;
/** How often an idle slot of each queue looks for due jobs nothing announced. */
const POLL_INTERVAL_MS = 1000;
/** pg-boss's own poll per slot, a backstop behind POLL_INTERVAL_MS. */
const BACKSTOP_POLL_S = 10;
/** How often reconciliation and the inactivity sweep run. */
const HOUSEKEEPING_INTERVAL_MS = 60_000;

/** A conversation's job does what two queues' jobs did (the turn, then delivery): it gets their slots. */
const slotsFor = (queue: string, concurrency: number) =>
  queue === QUEUES.conversation ? 2 * concurrency : concurrency;

/** Starts the queue, its workers and housekeeping. */
export async function startEngine(deps: EngineDeps): Promise<Engine> {
  const options = { ...DEFAULT_ENGINE_OPTIONS, ...deps.options };
  const now = deps.now ?? (() => new Date());
  const { database, logger } = deps;
  const workers = new Map<string, WorkerSlots>();
  // A job NOTIFY (from any process) announces the job here; slots that get jobs start more (worker-slots.ts).
  const boss = await startJobQueue(database, logger, (queue) => workers.get(queue)?.announce());
  // PostgreSQL: a NOTIFY per new job wakes workers in every process. PGlite is one process (the
  // DATA_DIR lock), and pg-boss's NOTIFY wakes every idle worker of the queue — N fetches on the one
  // embedded connection for each job — so there the engine wakes one worker itself after each commit.
  const notifies = database.kind === 'postgres';
  await createQueues(boss, notifies);
  if (database.kind === 'pglite') await recoverOrphanedJobs(database, boss, logger);

  const timers = new Set<NodeJS.Timeout>();
  const wake: JobContext['wake'] = (queue, afterMs, inserted = false) => {
    // The insert's own NOTIFY announces the job here as in every process: a wake of ours would be a second fetch.
    if (afterMs <= 0 && inserted && notifies) return;
    if (afterMs <= 0) return workers.get(queue)?.announce();
    const timer = setTimeout(() => {
      timers.delete(timer);
      workers.get(queue)?.announce();
    }, afterMs + WAKE_SLACK_MS);
    timer.unref();
    timers.add(timer);
  };
  const ingestor = new Ingestor(
    database,
    boss,
    () => wake(QUEUES.inbound, 0, true),
    options.inboundTextMaxChars,
  );
  const mailIngestor = new MailIngestor({ database, boss, onQueued: () => wake(QUEUES.mail, 0, true) });
  const jobs = createJobHandlers({
    database,
    boss,
    logger,
    responder: deps.responder,
    senders: deps.senders,
    options,
    now,
    wake,
    ingestor,
    ...(deps.dnsResolver ? { dnsResolver: deps.dnsResolver } : {}),
  });
  // Deferred jobs (debounce, retry backoff) are not NOTIFYed when they come due: `wake` covers this
  // process, and one idle slot per queue looks every second for the rest (pollIdleSlots). pg-boss's own poll,
  // every slot every second, was 16 fetches a second per idle process, nearly all of its database load: it is
  // only a backstop now.
  const workOptions = {
    pollingIntervalSeconds: BACKSTOP_POLL_S,
    notifyPollingIntervalSeconds: BACKSTOP_POLL_S,
  };
  const jobStatistics = new JobTableStatistics(() => analyzeJobTable(database), logger);
  const backlogSeen = () => jobStatistics.backlogSeen();
  for (const [queue, handler] of options.workers ? Object.entries(jobs) : []) {
    const slots = new WorkerSlots(boss, queue, database.kind === 'postgres', options.batchSize, backlogSeen);
    workers.set(queue, slots);
    for (let slot = 0; slot < slotsFor(queue, options.concurrency); slot++) {
      await slots.add(workOptions, async (job) => {
        try {
          await handler(job.data as never);
        } catch (error) {
          logger.warn({ err: error, queue, job: job.data }, 'job failed; it will be retried');
          throw error;
        }
      });
    }
  }

  const stopPolling = pollIdleSlots([...workers.values()], POLL_INTERVAL_MS);

  const runReconcile = async () => {
    await closeIdleConversations(database, options, now());
    await reconcile(database, boss, options, now());
    await pruneProcessedEvents(database, options.eventRetentionMs, now());
    await pruneProcessedMail(database, options.eventRetentionMs, now());
    await foldChannelAnalytics(database.query);
  };
  // Housekeeping re-triggers and prunes work: it belongs where the workers run.
  const timer = setInterval(() => {
    if (!options.workers) return;
    runReconcile().catch((error: unknown) => logger.warn({ err: error }, 'engine housekeeping failed'));
  }, HOUSEKEEPING_INTERVAL_MS);
  timer.unref();
  if (options.workers) await runReconcile();
  // PGlite has neither autovacuum nor a checkpointer: without these, disk use grows without bound.
  const maintenance =
    database.kind === 'pglite' && options.workers
      ? startEmbeddedMaintenance(database, options.embeddedVacuumIntervalMs, logger)
      : undefined;

  return {
    ingestor,
    ingestRawMail: (input) => mailIngestor.ingest(input),
    reconcile: runReconcile,
    deliver: async (conversationId) => {
      await conversationDueNow(boss, conversationId);
      wake(QUEUES.conversation, 0);
    },
    stop: async () => {
      clearInterval(timer);
      stopPolling();
      maintenance?.stop();
      for (const pending of timers) clearTimeout(pending);
      await boss.stop({ graceful: true, timeout: 5000, close: true } as never);
      await jobStatistics.settled();
    },
  };
}
