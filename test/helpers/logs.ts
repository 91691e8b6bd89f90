import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.ts';

/** The real logger (redaction included) writing into `lines`, one raw JSON line per entry, for assertions. */
export function captureLogger(level: string): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}
