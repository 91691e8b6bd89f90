import type { ImapFlow } from 'imapflow';
import type { Logger } from '../logger.ts';
import type { ImapCursor } from './imap-store.ts';

/** Keyword set on a message the poller will never ingest (too large), so a resync does not fetch it again. */
export const SKIPPED_KEYWORD = '$SwitchboardSkipped';

export type SyncLimits = {
  /** Larger messages are skipped (logged and marked). */
  maxMessageBytes: number;
  /** Messages fetched per round trip. */
  batchSize: number;
};

export type SyncDeps = {
  client: ImapFlow;
  limits: SyncLimits;
  logger: Logger;
  /** Durably records one raw message (dedupes on Message-ID); resolves only after the commit. */
  ingest(raw: Buffer, receivedAt: Date | undefined): Promise<unknown>;
  /** Persists the cursor; false when the lease was lost. */
  saveCursor(cursor: ImapCursor): Promise<boolean>;
};

/** The mailbox moved to another process mid-sync: stop without touching it again. */
export class LeaseLostError extends Error {
  constructor() {
    super('IMAP mailbox lease lost');
  }
}

/** Ingest failed for one message: the connection is fine, retry the message later. */
export class IngestFailedError extends Error {
  readonly uid: number;

  constructor(uid: number, cause: unknown) {
    super(`ingest of UID ${uid} failed`, { cause });
    this.uid = uid;
  }
}

/** `size` is RFC822.SIZE, undefined when the server did not send it. */
type Meta = { uid: number; size: number | undefined; internalDate?: Date };

/**
 * Brings the selected mailbox up to date and returns the new cursor. Normally fetches UIDs above the cursor, in
 * order, advancing it message by message. When UIDVALIDITY is new (first run, or the server renumbered the
 * mailbox) the old UIDs mean nothing: it ingests every unseen, unskipped message below UIDNEXT — ingest dedupes
 * on Message-ID, so mail answered before is not answered again — then starts counting from UIDNEXT.
 */
export async function syncMailbox(deps: SyncDeps, cursor: ImapCursor): Promise<ImapCursor> {
  const mailbox = deps.client.mailbox;
  if (!mailbox) throw new Error('no mailbox selected');
  const uidValidity = Number(mailbox.uidValidity);
  if (cursor.uidValidity !== uidValidity) {
    if (cursor.uidValidity !== null) {
      deps.logger.warn(
        { previous: cursor.uidValidity, current: uidValidity },
        'IMAP UIDVALIDITY changed; resyncing from the unseen messages',
      );
    }
    const uidNext = await nextUid(deps.client);
    const found = await deps.client.search(
      { seen: false, unKeyword: SKIPPED_KEYWORD, uid: `1:${Math.max(uidNext - 1, 1)}` },
      { uid: true },
    );
    const unseen = (found || []).filter((uid) => uid < uidNext).sort((a, b) => a - b);
    for (let i = 0; i < unseen.length; i += deps.limits.batchSize) {
      await processBatch(deps, unseen.slice(i, i + deps.limits.batchSize));
    }
    cursor = { uidValidity, lastUid: uidNext - 1 };
    if (!(await deps.saveCursor(cursor))) throw new LeaseLostError();
  }
  for (;;) {
    const found = await deps.client.search({ uid: `${cursor.lastUid + 1}:*` }, { uid: true });
    // `n:*` always includes the highest UID, even below n: keep only what is really new.
    const fresh = (found || []).filter((uid) => uid > cursor.lastUid).sort((a, b) => a - b);
    const batch = fresh.slice(0, deps.limits.batchSize);
    if (batch.length === 0) break;
    const advance = async (uid: number) => {
      cursor = { uidValidity, lastUid: uid };
      if (!(await deps.saveCursor(cursor))) throw new LeaseLostError();
    };
    await processBatch(deps, batch, advance);
    // UIDs FETCH did not answer are gone (a UID FETCH ignores UIDs that no longer exist, RFC 3501 6.4.8): pass
    // them too, or a batch of only such UIDs would be searched again and again.
    const last = batch.at(-1) ?? cursor.lastUid;
    if (cursor.lastUid < last) await advance(last);
    if (fresh.length <= batch.length) break;
  }
  if (!(await deps.saveCursor(cursor))) throw new LeaseLostError();
  return cursor;
}

/**
 * The mailbox's UIDNEXT as SELECT reported it. RFC 3501 requires it, but some servers omit it: then one more than
 * the highest UID present (the last message's), or 1 for an empty mailbox — mail arriving later gets a higher UID.
 */
async function nextUid(client: ImapFlow): Promise<number> {
  const reported = Number(client.mailbox ? client.mailbox.uidNext : undefined);
  if (Number.isSafeInteger(reported) && reported > 0) return reported;
  const last = await client.fetchOne('*', { uid: true });
  return last && last.uid ? last.uid + 1 : 1;
}

/** Ingests each message of `uids` in UID order, flagging it \Seen only once ingest has committed it. */
async function processBatch(
  deps: SyncDeps,
  uids: number[],
  done: (uid: number) => Promise<void> = async () => {},
): Promise<void> {
  const { client, limits, logger } = deps;
  const metas: Meta[] = [];
  // A fetch streams: collect first, since no other command may run until it ends.
  for await (const message of client.fetch(
    uids.join(','),
    { uid: true, size: true, internalDate: true },
    { uid: true },
  )) {
    const internalDate = message.internalDate ? new Date(message.internalDate) : undefined;
    metas.push({ uid: message.uid, size: message.size, internalDate });
  }
  metas.sort((a, b) => a.uid - b.uid);
  if (metas.length < uids.length) {
    const answered = new Set(metas.map((meta) => meta.uid));
    const gone = uids.filter((uid) => !answered.has(uid));
    logger.info({ uids: gone.slice(0, 20), count: gone.length }, 'IMAP messages gone before FETCH; passed');
  }
  const skip = async (uid: number, size: number | undefined) => {
    logger.warn({ uid, size, max: limits.maxMessageBytes }, 'IMAP message too large; skipped and marked');
    await client.messageFlagsAdd(String(uid), [SKIPPED_KEYWORD], { uid: true });
    await done(uid);
  };
  for (const meta of metas) {
    if (meta.size !== undefined && meta.size > limits.maxMessageBytes) {
      await skip(meta.uid, meta.size);
      continue;
    }
    // At most one byte over the limit (BODY.PEEK[]<0.max+1>): a server that sent no RFC822.SIZE (or a wrong one)
    // cannot make us hold a larger message; one byte over tells it was too large.
    const message = await client.fetchOne(
      String(meta.uid),
      { uid: true, source: { maxLength: limits.maxMessageBytes + 1 } },
      { uid: true },
    );
    if (message && message.source && message.source.byteLength > limits.maxMessageBytes) {
      await skip(meta.uid, meta.size);
      continue;
    }
    // Expunged meanwhile: nothing to ingest.
    if (message && message.source) {
      try {
        await deps.ingest(message.source, meta.internalDate);
      } catch (error) {
        throw new IngestFailedError(meta.uid, error);
      }
      await client.messageFlagsAdd(String(meta.uid), ['\\Seen'], { uid: true });
    }
    await done(meta.uid);
  }
}
