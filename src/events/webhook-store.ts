import type { SqlRunner } from '../db/client.ts';
import type { SealContext, Vault } from '../vault/vault.ts';

/** The signing secret is sealed by the credential vault, bound to its subscription. */
export const webhookSealContext = (webhookId: string): SealContext => ['event_webhook', webhookId, 'secret'];

export function sealWebhookSecret(vault: Vault, webhookId: string, secret: string): string {
  return vault.seal(secret, webhookSealContext(webhookId));
}

export function openWebhookSecret(vault: Vault, webhookId: string, sealed: string): string {
  return vault.open(sealed, webhookSealContext(webhookId));
}

export type WebhookRow = {
  id: string;
  organization_id: string;
  agent_id: string | null;
  url: string;
  event_types: string[];
  description: string;
  enabled: boolean;
  last_status: string | null;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  last_success_at: Date | null;
  failure_count: number;
  pending: number;
  failed: number;
  created_at: Date;
  updated_at: Date;
};

/** Every column but the secret, plus counts of pending and failed deliveries. */
export const WEBHOOK_COLUMNS = `w.id, w.organization_id, w.agent_id, w.url, w.event_types, w.description, w.enabled,
  w.last_status, w.last_status_code, w.last_error, w.last_attempt_at, w.last_success_at, w.failure_count,
  (select count(*)::int from event_webhook_deliveries d where d.webhook_id = w.id and d.status = 'pending') as pending,
  (select count(*)::int from event_webhook_deliveries d where d.webhook_id = w.id and d.status = 'failed') as failed,
  w.created_at, w.updated_at`;

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export function webhookView(row: WebhookRow) {
  return {
    _id: row.id,
    organization: row.organization_id,
    agent: row.agent_id,
    url: row.url,
    event_types: row.event_types,
    description: row.description,
    enabled: row.enabled,
    status: {
      last_status: row.last_status,
      last_status_code: row.last_status_code,
      last_error: row.last_error,
      last_attempt_at: iso(row.last_attempt_at),
      last_success_at: iso(row.last_success_at),
      failure_count: row.failure_count,
      pending_deliveries: row.pending,
      failed_deliveries: row.failed,
    },
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

export async function loadWebhook(
  query: SqlRunner,
  organizationId: string,
  webhookId: string,
): Promise<WebhookRow | undefined> {
  const rows = await query<WebhookRow>(
    `select ${WEBHOOK_COLUMNS} from event_webhooks w where w.id = $1 and w.organization_id = $2`,
    [webhookId, organizationId],
  );
  return rows[0];
}

export type DeliveryRow = {
  id: string | number;
  event_id: string | number;
  event_type: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date;
  delivered_at: Date | null;
  created_at: Date;
};

export function deliveryView(row: DeliveryRow) {
  return {
    _id: String(row.id),
    event_id: String(row.event_id),
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    next_attempt_at: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    delivered_at: iso(row.delivered_at),
    created_at: iso(row.created_at),
  };
}
