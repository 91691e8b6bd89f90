import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import { eventWebhookDeliveries } from '../metrics/metrics.ts';
import { isBlockedDestination } from '../net/outbound-guard.ts';
import type { Vault } from '../vault/vault.ts';
import { type EventRow, eventView, EVENT_COLUMNS } from './event-log.ts';
import { signWebhookBody, WEBHOOK_HEADERS } from './webhook-signature.ts';
import { openWebhookSecret } from './webhook-store.ts';

export type WebhookSenderOptions = {
  maxAttempts: number;
  retryBaseMs: number;
  timeoutMs: number;
  /** Poll for due deliveries (retries, other processes' events) this often; a NOTIFY wakes it sooner. */
  pollMs?: number;
};

export type WebhookSenderDeps = {
  database: Database;
  vault: Vault;
  logger: Logger;
  /** The outbound-guarded fetch (public targets only unless OUTBOUND_ALLOW_PRIVATE). */
  fetch: typeof fetch;
  options: WebhookSenderOptions;
};

/** Deliveries leased per pass, and passes run back to back while they come back full. */
const BATCH = 10;
const PASSES_PER_WAKE = 10;
/** POSTs in flight in this process, and to one subscription (so a receiver that hangs holds only its own). */
const MAX_IN_FLIGHT = 50;
const PER_WEBHOOK_IN_FLIGHT = 4;
/** Due deliveries a lease looks at, oldest first, to pick a batch spread over subscriptions. */
const LEASE_SCAN = 200;
/** Longest wait between retries. */
const MAX_RETRY_MS = 3_600_000;

type Leased = {
  delivery_id: string | number;
  attempts: number;
  webhook_id: string;
  url: string;
  secret: string;
} & EventRow;

/** Backoff before attempt `attempt + 1`: base doubling, at most an hour, jittered down to half. */
export function webhookRetryDelayMs(baseMs: number, attempt: number, random = Math.random): number {
  const full = Math.min(MAX_RETRY_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.ceil(full / 2 + (full / 2) * random());
}

/**
 * Sends due event webhook deliveries: leases a batch (FOR UPDATE SKIP LOCKED plus a lease time, so several
 * processes share the work and a crashed sender's lease lapses), POSTs each signed body, and records the outcome
 * on the delivery and on its subscription. Failures retry with backoff up to maxAttempts, then stay `failed`.
 */
export class WebhookSender {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;
  /** Deliveries being sent by this process, and how many per subscription. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly perWebhook = new Map<string, number>();

  private readonly deps: WebhookSenderDeps;

  constructor(deps: WebhookSenderDeps) {
    this.deps = deps;
  }

  start(): void {
    this.timer = setInterval(() => this.wake(), this.deps.options.pollMs ?? 1000);
    this.timer.unref();
    this.wake();
  }

  /** Runs a pass now (or right after the current one). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async loop(): Promise<void> {
    try {
      for (let pass = 0; pass < PASSES_PER_WAKE && !this.stopped; pass++) {
        if ((await this.runOnce()) < BATCH) return;
      }
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'event webhook pass failed');
    }
  }

  /**
   * Leases a batch of due deliveries and starts sending them; returns how many it leased. It does not wait for
   * the POSTs: each one frees its slot and wakes the sender when it ends, so a receiver that answers slowly (or
   * not until the timeout) holds at most PER_WEBHOOK_IN_FLIGHT slots and never the other subscriptions' turn.
   */
  async runOnce(): Promise<number> {
    const { database, options } = this.deps;
    const room = Math.min(BATCH, MAX_IN_FLIGHT - this.inFlight.size);
    if (room <= 0) return 0;
    const full = [...this.perWebhook].filter(([, n]) => n >= PER_WEBHOOK_IN_FLIGHT).map(([id]) => id);
    const busy = Object.fromEntries(this.perWebhook);
    const leaseSeconds = Math.ceil(options.timeoutMs / 1000) + 30;
    const leased = await database.query<Leased>(
      `with candidates as (
         select d.id, d.webhook_id, d.next_attempt_at from event_webhook_deliveries d
         join event_webhooks w on w.id = d.webhook_id
         where d.status = 'pending' and d.next_attempt_at <= now()
           and (d.locked_until is null or d.locked_until < now()) and w.enabled
           and not (d.webhook_id = any($3::text[]))
         order by d.next_attempt_at limit $4),
       ranked as (
         select id, webhook_id, row_number() over (partition by webhook_id order by next_attempt_at, id) as n
         from candidates),
       due as (
         update event_webhook_deliveries set locked_until = now() + make_interval(secs => $2),
                attempts = attempts + 1, updated_at = now()
         where id in (
           select d.id from event_webhook_deliveries d
           where d.id in (select id from ranked
                          where n + coalesce(($5::jsonb ->> webhook_id)::int, 0) <= $6)
             and d.status = 'pending' and (d.locked_until is null or d.locked_until < now())
           order by d.next_attempt_at limit $1 for update of d skip locked)
         returning id, attempts, webhook_id, event_id)
       select due.id as delivery_id, due.attempts, due.webhook_id, w.url, w.secret,
              ${EVENT_COLUMNS.split(', ')
                .map((column) => `e.${column}`)
                .join(', ')}
       from due join event_webhooks w on w.id = due.webhook_id join agent_events e on e.id = due.event_id`,
      [room, leaseSeconds, full, LEASE_SCAN, JSON.stringify(busy), PER_WEBHOOK_IN_FLIGHT],
    );
    for (const row of leased) this.track(row);
    return leased.length;
  }

  private track(row: Leased): void {
    this.perWebhook.set(row.webhook_id, (this.perWebhook.get(row.webhook_id) ?? 0) + 1);
    const sending: Promise<void> = this.deliver(row)
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'event webhook delivery failed'))
      .finally(() => {
        this.inFlight.delete(sending);
        const left = (this.perWebhook.get(row.webhook_id) ?? 1) - 1;
        if (left > 0) this.perWebhook.set(row.webhook_id, left);
        else this.perWebhook.delete(row.webhook_id);
        // A slot is free: due deliveries that waited for it go now.
        this.wake();
      });
    this.inFlight.add(sending);
  }

  private async deliver(row: Leased): Promise<void> {
    const outcome = await this.post(row);
    const { database, options } = this.deps;
    const done = outcome.ok || !outcome.retryable || row.attempts >= options.maxAttempts;
    const status = outcome.ok ? 'delivered' : done ? 'failed' : 'pending';
    eventWebhookDeliveries.inc({ outcome: status === 'pending' ? 'retry' : status });
    const retrySeconds = webhookRetryDelayMs(options.retryBaseMs, row.attempts) / 1000;
    await database.transaction(async (query) => {
      await query(
        `update event_webhook_deliveries set status = $2, last_status_code = $3, last_error = $4,
                delivered_at = case when $2 = 'delivered' then now() end,
                next_attempt_at = case when $2 = 'pending' then now() + make_interval(secs => $5)
                                  else next_attempt_at end,
                locked_until = null, updated_at = now()
         where id = $1`,
        [row.delivery_id, status, outcome.statusCode ?? null, outcome.error ?? null, retrySeconds],
      );
      await query(
        `update event_webhooks set last_status = $2, last_status_code = $3, last_error = $4,
                last_attempt_at = now(),
                last_success_at = case when $2 = 'delivered' then now() else last_success_at end,
                failure_count = case when $2 = 'delivered' then 0 else failure_count + 1 end
         where id = $1`,
        [
          row.webhook_id,
          outcome.ok ? 'delivered' : 'failed',
          outcome.statusCode ?? null,
          outcome.error ?? null,
        ],
      );
    });
  }

  /** One POST; never throws. The error text names no URL and no secret. */
  private async post(
    row: Leased,
  ): Promise<{ ok: boolean; retryable: boolean; statusCode?: number; error?: string }> {
    let secret: string;
    try {
      secret = openWebhookSecret(this.deps.vault, row.webhook_id, row.secret);
    } catch {
      return {
        ok: false,
        retryable: false,
        error: 'The signing secret cannot be opened (vault key missing)',
      };
    }
    const body = JSON.stringify(eventView(row));
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const res = await this.deps.fetch(row.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.deps.options.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Switchboard-Webhooks/1',
          [WEBHOOK_HEADERS.event]: row.type,
          [WEBHOOK_HEADERS.eventId]: String(row.id),
          [WEBHOOK_HEADERS.delivery]: String(row.delivery_id),
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: signWebhookBody(secret, timestamp, body),
        },
        body,
      });
      await res.body?.cancel().catch(() => {});
      if (res.status >= 200 && res.status < 300)
        return { ok: true, retryable: false, statusCode: res.status };
      if (res.status >= 300 && res.status < 400) {
        return {
          ok: false,
          retryable: true,
          statusCode: res.status,
          error: `HTTP ${res.status}: redirects are not followed`,
        };
      }
      return { ok: false, retryable: true, statusCode: res.status, error: `HTTP ${res.status}` };
    } catch (error) {
      if (isBlockedDestination(error) || isBlockedDestination((error as { cause?: unknown })?.cause)) {
        return {
          ok: false,
          retryable: false,
          error: 'The URL points to a private or reserved network address',
        };
      }
      const name = (error as { name?: string })?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        return { ok: false, retryable: true, error: `No answer within ${this.deps.options.timeoutMs} ms` };
      }
      const code = (error as { cause?: { code?: string } })?.cause?.code;
      return { ok: false, retryable: true, error: `Network error${code ? ` (${code})` : ''}` };
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await Promise.all(this.inFlight);
  }
}
