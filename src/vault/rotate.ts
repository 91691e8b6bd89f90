import { channelSealContext } from '../channels/channel-config.ts';
import type { Database, SqlRunner } from '../db/client.ts';
import { webhookSealContext } from '../events/webhook-store.ts';
import { llmKeySealContext, openLlmKeySecret } from '../platform/llm-keys.ts';
import { sealedKeyId, type Vault } from './vault.ts';

export type RotationReport = { channelSecrets: number; llmKeys: number; eventWebhookSecrets: number };

/**
 * Re-seals every stored secret under the vault's current key: channel secrets, project LLM keys and event webhook
 * signing secrets (and seals LLM
 * keys stored before the vault existed). Works in small batches, each its own transaction, and each row is
 * replaced only if it still holds the value that was read, so it is safe beside running servers and resumable:
 * run it again after an interruption and it continues with whatever is left. Channel secret updates fire the
 * config triggers, so every server's cache drops the agents touched.
 */
export async function rotateSecrets(
  database: Database,
  vault: Vault,
  options: { batchSize?: number; onBatch?: (report: RotationReport) => void } = {},
): Promise<RotationReport> {
  const batchSize = options.batchSize ?? 100;
  const report: RotationReport = { channelSecrets: 0, llmKeys: 0, eventWebhookSecrets: 0 };
  /** Runs `batch` in its own transaction until it finds nothing left, adding its row counts to `what`. */
  const drain = async (what: keyof RotationReport, batch: (query: SqlRunner) => Promise<number>) => {
    for (;;) {
      const count = await database.transaction(batch);
      report[what] += count;
      options.onBatch?.(report);
      if (count === 0) return;
    }
  };
  await drain('channelSecrets', async (query) => {
    const rows = await query<{ agent_id: string; channel: string; field: string; sealed: string }>(
      `select agent_id, channel, field, sealed from channel_secrets where key_id <> $1
       order by agent_id, channel, field limit $2 for update skip locked`,
      [vault.currentKeyId, batchSize],
    );
    for (const row of rows) {
      const sealed = vault.reseal(row.sealed, channelSealContext(row.agent_id, row.channel, row.field));
      await query(
        `update channel_secrets set sealed = $1, key_id = $2, updated_at = now()
         where agent_id = $3 and channel = $4 and field = $5 and sealed = $6`,
        [sealed, vault.currentKeyId, row.agent_id, row.channel, row.field, row.sealed],
      );
    }
    return rows.length;
  });
  await drain('llmKeys', async (query) => {
    const rows = await query<{ key_id: string; secret: string }>(
      `select key_id, secret from llm_key_secrets where secret not like $1
       order by key_id limit $2 for update skip locked`,
      [`v1:${vault.currentKeyId}:%`, batchSize],
    );
    for (const row of rows) {
      const plaintext = openLlmKeySecret(vault, row.key_id, row.secret);
      await query('update llm_key_secrets set secret = $1 where key_id = $2 and secret = $3', [
        vault.seal(plaintext, llmKeySealContext(row.key_id)),
        row.key_id,
        row.secret,
      ]);
    }
    return rows.length;
  });
  await drain('eventWebhookSecrets', async (query) => {
    const rows = await query<{ id: string; secret: string }>(
      `select id, secret from event_webhooks where secret not like $1 order by id limit $2 for update skip locked`,
      [`v1:${vault.currentKeyId}:%`, batchSize],
    );
    for (const row of rows) {
      await query('update event_webhooks set secret = $1 where id = $2 and secret = $3', [
        vault.reseal(row.secret, webhookSealContext(row.id)),
        row.id,
        row.secret,
      ]);
    }
    return rows.length;
  });
  return report;
}

/** How many stored values each key id seals (`plaintext` for LLM keys from before the vault). */
export async function secretsByKey(database: Database): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const channel = await database.query<{ key_id: string; n: number }>(
    'select key_id, count(*)::int as n from channel_secrets group by key_id',
  );
  for (const row of channel) counts[row.key_id] = (counts[row.key_id] ?? 0) + row.n;
  const llm = await database.query<{ secret: string }>('select secret from llm_key_secrets');
  const hooks = await database.query<{ secret: string }>('select secret from event_webhooks');
  for (const row of [...llm, ...hooks]) {
    const id = sealedKeyId(row.secret) ?? 'plaintext';
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}
