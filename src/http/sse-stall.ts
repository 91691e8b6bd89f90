import type { Context } from 'hono';
import type { SSEStreamingApi } from 'hono/streaming';
import { nodeResponse } from './front.ts';

/**
 * Bounds how long one server-sent-events write may wait for the client. A client that stops reading (a frozen
 * tab, a half-open connection) fills the socket buffers and every later write waits for it: without a bound the
 * handler, its subscription slot and the socket are held until TCP gives up, which can be never while the client
 * keeps acknowledging. Returns `guard(write)`: the write's promise, or after `stallMs` the stream is aborted (its
 * onAbort listeners run) and the connection is reset, and the guard resolves `false`. A reset, not a close: a close
 * queues its FIN behind megabytes the client will never read, and the kernel keeps them for minutes.
 */
export function sseStallGuard(
  c: Context,
  stream: SSEStreamingApi,
  stallMs: number,
): (write: Promise<unknown>) => Promise<boolean> {
  return async (write) => {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), stallMs);
    });
    try {
      const done = await Promise.race([write.then(() => true), stalled]);
      if (!done) {
        stream.abort();
        nodeResponse(c.env)?.socket?.resetAndDestroy();
      }
      return done;
    } finally {
      clearTimeout(timer);
    }
  };
}
