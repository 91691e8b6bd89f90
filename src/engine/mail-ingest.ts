import type { PgBoss } from 'pg-boss';
import { mailDedupeKey } from '../channels/email/headers.ts';
import type { ProviderMailVerdict } from '../channels/types.ts';
import type { Database } from '../db/client.ts';
import { newId } from '../ids.ts';
import { jobDbFor } from '../queue/job-queue.ts';
import { GroupCommit } from './group-commit.ts';
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
  /**
   * A receiving provider's verdict and whether `raw` was composed from parsed fields (stored in
   * `raw_mails.provider_verdict`; mail processing uses it when the mail cannot be re-verified).
   */
  providerVerdict?: ProviderMailVerdict & { composed: boolean };
};

export type RawMailResult = { duplicate: boolean; id?: string };

/** Most bytes of raw mail committed in one transaction. */
const MAX_BATCH_BYTES = 32 * 1024 * 1024;

/**
 * Records raw mails and their processing jobs in ONE transaction. A mail already recorded (same agent and
 * Message-ID, else same bytes) comes back `{ duplicate: true }` and queues nothing.
 */
async function commitRawMails(deps: MailIngestDeps, inputs: RawMailInput[]): Promise<RawMailResult[]> {
  const rows = inputs.map((input) => ({ id: newId('rawmail'), input }));
  const inserted = await deps.database.transaction(async (query) => {
    const params: unknown[] = [];
    const values = rows.map(({ id, input }) => {
      const base = params.length;
      params.push(
        id,
        input.agentId,
        (input.dedupeKey ?? mailDedupeKey(input.raw)).slice(0, 1000),
        input.source.slice(0, 100),
        input.clientIp ?? null,
        input.raw.byteLength,
        input.raw,
        input.receivedAt ?? new Date(),
        input.providerVerdict ? JSON.stringify(input.providerVerdict) : null,
      );
      return `(${Array.from({ length: 9 }, (_, i) => `$${base + i + 1}`).join(', ')})`;
    });
    const added = await query<{ id: string }>(
      `insert into raw_mails (id, agent_id, dedupe_key, source, client_ip, size, raw, received_at, provider_verdict)
       values ${values.join(', ')}
       on conflict (agent_id, dedupe_key) do nothing returning id`,
      params,
    );
    if (added.length > 0) {
      const jobs = added.map(({ id }) => ({ data: { rawMailId: id }, singletonKey: id }));
      await deps.boss.insert(QUEUES.mail, jobs, { db: jobDbFor(query) } as never);
    }
    return new Set(added.map((row) => row.id));
  });
  // The embedded database: on disk before the sender (or IMAP server) is told it is stored.
  await deps.database.durability?.syncWal();
  if (inserted.size > 0) deps.onQueued?.();
  return rows.map(({ id }) => (inserted.has(id) ? { duplicate: false, id } : { duplicate: true }));
}

/**
 * Records one raw mail and its processing job in one transaction and resolves after the commit
 * (`{ duplicate: true }` for a redelivery). Parsing, authentication (DNS) and classification run later
 * in the `email-inbound` job, so a malformed or hostile mail is recorded there as failed or rejected,
 * never thrown here.
 */
export async function ingestRawMail(deps: MailIngestDeps, input: RawMailInput): Promise<RawMailResult> {
  return (await commitRawMails(deps, [input]))[0] as RawMailResult;
}

/** `ingestRawMail` with group commit: mails arriving while a commit is in flight share the next one. */
export class MailIngestor {
  private readonly group: GroupCommit<RawMailInput, RawMailResult>;

  constructor(deps: MailIngestDeps) {
    this.group = new GroupCommit({
      commit: (inputs) => commitRawMails(deps, inputs),
      sizeOf: (input) => input.raw.byteLength,
      maxBatch: MAX_BATCH_BYTES,
    });
  }

  /** Resolves once the mail and its job are committed (or it was found already recorded). */
  ingest(input: RawMailInput): Promise<RawMailResult> {
    return this.group.submit(input);
  }
}
