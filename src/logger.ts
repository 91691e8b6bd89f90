import { type Logger, pino } from 'pino';
import { redactText, redactValue } from './redact.ts';

export type { Logger };

/**
 * JSON logger; every logged object and message passes through the credential redactor. Without a destination it
 * writes to stdout asynchronously (a request never waits on the write); `flushLogger` before exiting, and pino
 * flushes synchronously on process exit anyway.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redactValue(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const cleaned = args.map((a) => (typeof a === 'string' ? redactText(a) : a));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Resolves once every line logged so far has been written (call before `process.exit`). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve(); // a destination without flush (tests' sinks) has nothing pending
    }
  });
}
