import type { Logger } from '../logger.ts';
import type { Database } from './client.ts';
import { EmbeddedCheckpoint } from './embedded-checkpoint.ts';
import { EmbeddedVacuum } from './embedded-vacuum.ts';

/** How often the embedded database is checked for a due checkpoint. */
const CHECKPOINT_CHECK_MS = 15_000;

/**
 * What autovacuum and the checkpointer do on PostgreSQL, which the embedded database (single-user mode) has
 * neither of: one table vacuumed every `vacuumIntervalMs` (0 = never), and a checkpoint whenever one is due.
 * Returns the stopper.
 */
export function startEmbeddedMaintenance(
  database: Database,
  vacuumIntervalMs: number,
  logger: Logger,
): { stop: () => void } {
  const vacuum = new EmbeddedVacuum(database);
  const checkpoint = new EmbeddedCheckpoint(database);
  const timers = [
    vacuumIntervalMs > 0
      ? repeatSerially(
          vacuumIntervalMs,
          () => vacuum.vacuumNext(),
          (error) => logger.warn({ err: error }, 'embedded vacuum failed'),
        )
      : undefined,
    repeatSerially(
      CHECKPOINT_CHECK_MS,
      () => checkpoint.checkpointIfDue(),
      (error) => logger.warn({ err: error }, 'embedded checkpoint failed'),
    ),
  ];
  return { stop: () => timers.forEach((timer) => timer && clearInterval(timer)) };
}

/** Runs `task` every `intervalMs`, skipping a tick while the previous run is still going. */
function repeatSerially(
  intervalMs: number,
  task: () => Promise<unknown>,
  onError: (error: unknown) => void,
): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return timer;
}
