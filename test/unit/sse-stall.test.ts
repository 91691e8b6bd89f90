import { describe, expect, it } from 'vitest';
import { sseStallGuard } from '../../src/http/sse-stall.ts';

/** The guard's contract in isolation; the integration test (event-stream-stall) drives it through a real socket. */
function fakes() {
  const calls: string[] = [];
  const stream = { abort: () => calls.push('abort') };
  const socket = { resetAndDestroy: () => calls.push('reset') };
  const c = { env: { outgoing: { setHeader: () => {}, socket } } };
  return { calls, guard: sseStallGuard(c as never, stream as never, 50) };
}

describe('sseStallGuard', () => {
  it('passes a write that completes, touching nothing', async () => {
    const { calls, guard } = fakes();
    expect(await guard(Promise.resolve())).toBe(true);
    expect(calls).toEqual([]);
  });

  it('aborts the stream and resets the connection when a write waits past the limit', async () => {
    const { calls, guard } = fakes();
    expect(await guard(new Promise(() => {}))).toBe(false);
    expect(calls).toEqual(['abort', 'reset']);
  });
});
