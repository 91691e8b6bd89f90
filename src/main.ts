import { ConfigError, loadConfig } from './config.ts';
import { DataDirLockedError } from './db/data-dir-lock.ts';
import { startWhenDatabaseIsUp } from './db/startup-wait.ts';
import { createLogger, flushLogger } from './logger.ts';
import { startServer } from './server.ts';

/** `npm start`: run Switchboard until SIGTERM/SIGINT, then shut down gracefully. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every variable and its format.\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    // PostgreSQL may be restarting or not up yet: wait for it (DATABASE_STARTUP_WAIT_MS) rather than exit.
    server = await startWhenDatabaseIsUp(() => startServer(config, logger), {
      waitMs: config.DATABASE_URL ? config.DATABASE_STARTUP_WAIT_MS : 0,
      logger,
    });
  } catch (err) {
    logger.fatal({ err }, 'start-up failed');
    await flushLogger(logger);
    process.stderr.write(`Switchboard could not start: ${startupHint(err, config)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    // Logs are written asynchronously: flush them before exiting so nothing is lost on a clean exit.
    server.close().then(
      async () => {
        logger.info('shutdown complete');
        await flushLogger(logger);
        process.exit(0);
      },
      async (err) => {
        logger.error({ err }, 'shutdown failed');
        await flushLogger(logger);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** One human sentence for the most common start-up failures. */
function startupHint(err: unknown, config: ReturnType<typeof loadConfig>): string {
  if (err instanceof DataDirLockedError) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return `port ${config.PORT} on ${config.HOST} is already in use; set PORT to a free port.`;
  if (code === 'EACCES')
    return `not allowed to listen on port ${config.PORT} or to write DATA_DIR ${config.DATA_DIR}.`;
  if (code === 'ECONNREFUSED' && config.DATABASE_URL)
    return 'PostgreSQL refused the connection at DATABASE_URL.';
  return (err as Error).message;
}

await main();
