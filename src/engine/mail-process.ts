import type { DNSResolver } from '../channels/email/authenticate.ts';
import { type InboundMailSettings, readInboundMail } from '../channels/email/inbound.ts';
import type { ProviderMailVerdict } from '../channels/types.ts';
import type { Database } from '../db/client.ts';
import type { Logger } from '../logger.ts';
import type { Ingestor } from './ingest.ts';
import type { SenderLookup } from './senders.ts';

export type MailProcessDeps = {
  database: Database;
  ingestor: Ingestor;
  senders: SenderLookup;
  logger: Logger;
  /** DNS for sender authentication (tests: a fixture zone); default: the system resolver. */
  dnsResolver?: DNSResolver;
};

type RawRow = {
  agent_id: string;
  raw: Uint8Array;
  client_ip: string | null;
  status: string;
  received_at: Date;
  provider_verdict: (ProviderMailVerdict & { composed?: boolean }) | null;
};

/** A mail whose processing keeps failing (DNS down, a library error) is retried this long, then recorded as failed. */
export const MAIL_RETRY_WINDOW_MS = 3_600_000;

/**
 * The `mail` job: parses, authenticates (DNS) and classifies one recorded raw mail, ingests the events
 * it carries (deduped on the raw mail id, so a rerun after a crash adds nothing), then records the
 * outcome on the raw mail. Runs after the ack, so slow DNS never holds up the sender.
 */
export async function processRawMail(deps: MailProcessDeps, rawMailId: string): Promise<void> {
  const row = (
    await deps.database.query<RawRow>(
      `select agent_id, raw, client_ip, status, received_at, provider_verdict from raw_mails where id = $1`,
      [rawMailId],
    )
  )[0];
  if (!row || row.status !== 'pending') return;
  const sender = await deps.senders(row.agent_id, 'email');
  if (!sender) {
    await finish(deps.database, rawMailId, { status: 'failed', reason: 'channel_not_configured' });
    return;
  }
  const settings = sender.ctx.account.settings as InboundMailSettings;
  let outcome: Awaited<ReturnType<typeof readInboundMail>>;
  try {
    outcome = await readInboundMail(Buffer.from(row.raw), {
      rawMailId,
      settings,
      auth: {
        ...(deps.dnsResolver ? { resolver: deps.dnsResolver } : {}),
        ...(row.client_ip ? { clientIp: row.client_ip } : {}),
        ...(settings.trusted_authserv_ids ? { trustedAuthservIds: settings.trusted_authserv_ids } : {}),
        ...(row.provider_verdict ? { providerVerdict: row.provider_verdict } : {}),
      },
    });
  } catch (error) {
    // Retried by the queue (and reconciliation) for a while; a poison mail then stops here for good.
    if (Date.now() - new Date(row.received_at).getTime() < MAIL_RETRY_WINDOW_MS) throw error;
    deps.logger.warn({ err: error, rawMailId }, 'inbound mail could not be processed; recorded as failed');
    await finish(deps.database, rawMailId, { status: 'failed', reason: 'processing_error' });
    return;
  }
  if (outcome.events.length > 0) {
    await deps.ingestor.ingest({ agentId: row.agent_id, channel: 'email' }, outcome.events);
  }
  if (outcome.status !== 'accepted') {
    deps.logger.info(
      { rawMailId, status: outcome.status, reason: outcome.reason },
      'inbound mail not answered',
    );
  }
  await finish(deps.database, rawMailId, outcome);
}

async function finish(
  database: Database,
  id: string,
  outcome: { status: string; reason?: string; verdict?: unknown },
): Promise<void> {
  await database.query(
    `update raw_mails set status = $2, reason = $3, verdict = $4::jsonb, processed_at = now() where id = $1`,
    [id, outcome.status, outcome.reason ?? null, outcome.verdict ? JSON.stringify(outcome.verdict) : null],
  );
}
