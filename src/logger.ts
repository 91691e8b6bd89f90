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
    destination ?? stdoutDestination(),
  );
}

/**
 * Asynchronous stdout. Lines go to sonic-boom as Buffers: in its default (string) mode every line re-measures the
 * whole string still waiting for the write in flight, which at thousands of lines a second cost a seventh of a
 * busy API process's CPU. sonic-boom is looked up on each call, as pino swaps its methods out on EPIPE.
 */
function stdoutDestination(): pino.DestinationStream {
  const boom = pino.destination({ dest: 1, sync: false, contentMode: 'buffer' });
  return {
    write: (line: string) => boom.write(Buffer.from(line) as unknown as string),
    flush: (cb: (err?: Error) => void) => boom.flush(cb),
    flushSync: () => boom.flushSync(),
  } as pino.DestinationStream;
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
