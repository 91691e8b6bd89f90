/** Shared by the webhook benchmarks: signed posts as fast as they are acknowledged, and waiting out the backlog. */
import autocannon from 'autocannon';

/** One webhook request: its body and headers (signature included). */
export type WebhookRequest = { body: string; headers: Record<string, string> };

/**
 * POSTs `next(n)` for n = 1, 2, … to `url` for `durationS`; accepted/s and ack latency. `onAck(n)` runs for each
 * request answered 2xx (autocannon sends one request at a time per connection, so the connection knows its n).
 */
export async function measureWebhookIngest(
  url: string,
  durationS: number,
  connections: number,
  next: (n: number) => WebhookRequest,
  onAck?: (n: number) => void,
) {
  let n = 0;
  const result = await autocannon({
    url,
    connections,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        setupRequest: (request, context) => {
          const seq = ++n;
          (context as { n?: number }).n = seq;
          return { ...request, ...next(seq) };
        },
        onResponse: (status, _body, context) => {
          if (status >= 200 && status < 300) onAck?.((context as { n: number }).n);
        },
      },
    ],
  });
  return {
    accepted_per_s: Math.round(result['2xx'] / durationS),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/** Waits until `count()` stops growing for a second (the backlog is answered), at most 120 s. */
export async function waitUntilQuiet(count: () => number): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last = -1;
  while (Date.now() < deadline && last !== count()) {
    last = count();
    await new Promise((r) => setTimeout(r, 1000));
  }
}
