import type { SqlRunner } from '../db/client.ts';

/** Where a mailbox's processing stands: its UIDVALIDITY (null until first seen) and the last UID done. */
export type ImapCursor = { uidValidity: number | null; lastUid: number };

/** A mailbox's connection state as its holder last reported it (and whether anyone holds it now). */
export type ImapStatus = {
  state: 'connecting' | 'connected' | 'error' | 'stopped';
  held: boolean;
  error: string | null;
  last_poll_at: string | null;
  last_uid: number;
  uid_validity: number | null;
};

type Row = {
  state: ImapStatus['state'];
  held: boolean;
  error: string | null;
  last_poll_at: Date | string | null;
  last_uid: string | number;
  uid_validity: string | number | null;
};

const num = (value: string | number | null) => (value === null ? null : Number(value));

/**
 * The imap_mailboxes row of one agent, seen by one poller instance (`holder`). Every write but `acquire` is fenced
 * on still holding an unexpired lease, so a process that lost the mailbox can never move its cursor. Times come
 * from the database clock, so processes on different machines agree.
 */
export class ImapMailboxStore {
  private readonly query: SqlRunner;
  readonly agentId: string;
  readonly holder: string;

  constructor(query: SqlRunner, agentId: string, holder: string) {
    this.query = query;
    this.agentId = agentId;
    this.holder = holder;
  }

  /**
   * Takes the lease when it is free, expired or already ours, and returns the cursor; undefined when another
   * holder has it. A different `mailboxKey` (host, user or mailbox changed) starts the cursor afresh.
   */
  async acquire(mailboxKey: string, ttlMs: number): Promise<ImapCursor | undefined> {
    const [row] = await this.query<{ uid_validity: string | null; last_uid: string }>(
      `insert into imap_mailboxes (agent_id, mailbox_key, holder, lease_expires_at, state, updated_at)
       values ($1, $2, $3, now() + $4 * interval '1 millisecond', 'connecting', now())
       on conflict (agent_id) do update set
         holder = excluded.holder, lease_expires_at = excluded.lease_expires_at, state = 'connecting',
         error = null, updated_at = now(), mailbox_key = excluded.mailbox_key,
         uid_validity = case when imap_mailboxes.mailbox_key = excluded.mailbox_key
           then imap_mailboxes.uid_validity end,
         last_uid = case when imap_mailboxes.mailbox_key = excluded.mailbox_key
           then imap_mailboxes.last_uid else 0 end
       where imap_mailboxes.holder is null or imap_mailboxes.holder = excluded.holder
         or imap_mailboxes.lease_expires_at < now()
       returning uid_validity, last_uid`,
      [this.agentId, mailboxKey, this.holder, ttlMs],
    );
    return row ? { uidValidity: num(row.uid_validity), lastUid: Number(row.last_uid) } : undefined;
  }

  /** Extends the lease; false when it is no longer ours. */
  async renew(ttlMs: number): Promise<boolean> {
    const rows = await this.query(
      `update imap_mailboxes set lease_expires_at = now() + $3 * interval '1 millisecond'
       where agent_id = $1 and holder = $2 and lease_expires_at > now() returning 1`,
      [this.agentId, this.holder, ttlMs],
    );
    return rows.length > 0;
  }

  /** Gives the mailbox up (clean stop), so another process takes it at once. */
  async release(): Promise<void> {
    await this.query(
      `update imap_mailboxes set holder = null, lease_expires_at = null, state = 'stopped', updated_at = now()
       where agent_id = $1 and holder = $2`,
      [this.agentId, this.holder],
    );
  }

  /** Records progress after a poll or a message; false when the lease was lost (stop at once). */
  async saveCursor(cursor: ImapCursor): Promise<boolean> {
    const rows = await this.query(
      `update imap_mailboxes set uid_validity = $3, last_uid = $4, last_poll_at = now(), state = 'connected',
         error = null, updated_at = now()
       where agent_id = $1 and holder = $2 and lease_expires_at > now() returning 1`,
      [this.agentId, this.holder, cursor.uidValidity, cursor.lastUid],
    );
    return rows.length > 0;
  }

  /** Reports the connection state (`error` must already be safe to show). */
  async setState(state: 'connecting' | 'connected' | 'error', error?: string): Promise<void> {
    await this.query(
      `update imap_mailboxes set state = $3, error = $4, updated_at = now() where agent_id = $1 and holder = $2`,
      [this.agentId, this.holder, state, error ?? null],
    );
  }
}

/** The stored IMAP status of an agent's mailbox, for `webhook/info`; `stopped` before any poller ran. */
export async function readImapStatus(query: SqlRunner, agentId: string): Promise<ImapStatus> {
  const [row] = await query<Row>(
    `select state, error, last_poll_at, last_uid, uid_validity,
       (holder is not null and lease_expires_at > now()) as held
     from imap_mailboxes where agent_id = $1`,
    [agentId],
  );
  if (!row) {
    return {
      state: 'stopped',
      held: false,
      error: null,
      last_poll_at: null,
      last_uid: 0,
      uid_validity: null,
    };
  }
  const lastPoll = row.last_poll_at === null ? null : new Date(row.last_poll_at).toISOString();
  return {
    state: row.held ? row.state : 'stopped',
    held: row.held,
    error: row.error,
    last_poll_at: lastPoll,
    last_uid: Number(row.last_uid),
    uid_validity: num(row.uid_validity),
  };
}
