import type { PgBoss } from 'pg-boss';
import { mailDedupeKey } from '../channels/email/headers.ts';
import type { Database } from '../db/client.ts';
import { newId } from '../ids.ts';
import { jobDbFor } from '../queue/job-queue.ts';
import { QUEUES } from './queues.ts';

/** What the raw-mail ingest needs: the engine's database and queue, and a hook that wakes a local worker. */
export type MailIngestDeps = { database: Database; boss: PgBoss; onQueued?: () => void };

export type RawMailInput = {
  agentId: string;
  /** The message as received (RFC 5322 bytes). */
  raw: Buffer;
  /** How it arrived: 'webhook', 'imap', or a provider name. */
  source: 'webhook' | 'imap' | (string & {});
  receivedAt?: Date;
  /** The connecting client's IP (SPF), when the source knows it. */
  clientIp?: string;
  /** Overrides the Message-ID / content-hash dedupe key (e.g. an IMAP account-scoped id). */
  dedupeKey?: string;
};

/**
 * Records a raw mail and its processing job in ONE transaction and resolves after the commit. A mail
 * already recorded (same agent and Message-ID, else same bytes) resolves `{ duplicate: true }` and
 * queues nothing. Parsing, authentication (DNS) and classification run later in the `mail` job, so a
 * malformed or hostile mail is recorded there as failed or rejected, never thrown here.
 */
export async function ingestRawMail(
  deps: MailIngestDeps,
  input: RawMailInput,
): Promise<{ duplicate: boolean; id?: string }> {
  const id = newId('rawmail');
  const dedupeKey = input.dedupeKey ?? mailDedupeKey(input.raw);
  const inserted = await deps.database.transaction(async (query) => {
    const rows = await query<{ id: string }>(
      `insert into raw_mails (id, agent_id, dedupe_key, source, client_ip, size, raw, received_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (agent_id, dedupe_key) do nothing returning id`,
      [
        id,
        input.agentId,
        dedupeKey.slice(0, 1000),
        input.source.slice(0, 100),
        input.clientIp ?? null,
        input.raw.byteLength,
        input.raw,
        input.receivedAt ?? new Date(),
      ],
    );
    if (!rows[0]) return false;
    await deps.boss.insert(QUEUES.mail, [{ data: { rawMailId: id }, singletonKey: id }], {
      db: jobDbFor(query),
    } as never);
    return true;
  });
  if (!inserted) return { duplicate: true };
  deps.onQueued?.();
  return { duplicate: false, id };
}
