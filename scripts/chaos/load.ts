import { signLoopback } from '../../src/channels/loopback/protocol.ts';

export type LoadOptions = {
  url: string;
  agentId: string;
  secret: string;
  senders: number;
  /** New messages stop at this performance.now(); redelivery of unacknowledged ones goes on until `hardStop`. */
  stopAt: number;
  hardStop: number;
};

export type LoadResult = {
  /** Acknowledged message numbers per sender, in order (a sender sends its next only after an ack). */
  acked: Map<string, number[]>;
  /** performance.now() of each message's acknowledgement, by its text (`<sender>-<n>`), in the order they came. */
  ackedAt: Map<string, number>;
  /** Responses by status (`error` = connection failure). */
  statuses: Map<string, number>;
  /** Updates that got a 503 at least once and were acknowledged on a later delivery. */
  redeliveredAfter503: number;
  /** performance.now() of each 503. */
  times503: number[];
  unacked: number;
};

const REDELIVERY_PAUSE_MS = 250;

/**
 * Senders that behave like a provider: each posts signed webhooks one at a time, and redelivers the same
 * update (same update_id) after any answer but 200, as Telegram and Meta do.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = {
    acked: new Map(),
    ackedAt: new Map(),
    statuses: new Map(),
    redeliveredAfter503: 0,
    times503: [],
    unacked: 0,
  };
  const count = (status: string) => result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1);
  const endpoint = `${options.url}/api/v1/channels/webhooks/loopback/${options.agentId}`;

  async function deliver(sender: string, n: number): Promise<boolean> {
    const body = JSON.stringify({
      update_id: `${sender}-${n}`,
      message: { from: sender, text: `${sender}-${n}` },
    });
    let saw503 = false;
    while (performance.now() < options.hardStop) {
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-loopback-signature': signLoopback(body, options.secret),
        },
        body,
        signal: AbortSignal.timeout(20_000),
      }).catch(() => undefined);
      const status = res ? String(res.status) : 'error';
      await res?.arrayBuffer().catch(() => undefined);
      count(status);
      if (status === '200') {
        if (saw503) result.redeliveredAfter503++;
        result.ackedAt.set(`${sender}-${n}`, performance.now());
        return true;
      }
      if (status === '503') {
        saw503 = true;
        result.times503.push(performance.now());
      }
      await new Promise((r) => setTimeout(r, REDELIVERY_PAUSE_MS));
    }
    result.unacked++;
    return false;
  }

  await Promise.all(
    Array.from({ length: options.senders }, async (_, s) => {
      const sender = `chaos${s}`;
      const acked: number[] = [];
      result.acked.set(sender, acked);
      for (let n = 1; performance.now() < options.stopAt; n++) {
        if (!(await deliver(sender, n))) return;
        acked.push(n);
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
      }
    }),
  );
  return result;
}
