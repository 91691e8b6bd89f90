import pg from 'pg';
import type { LoadResult } from './load.ts';
import type { AcceptedSend } from './peer.ts';

/** The dev agent quotes the start of each turn's user messages: `You said: "chaos3-17\n\nchaos3-18…". …`. */
const FIRST_QUOTED = /You said: "(chaos\d+-\d+)/;

export type ReplyCheck = {
  acknowledged: number;
  /** Acknowledged messages that were never stored: lost after the 200. */
  lost: number;
  /** Acknowledged messages with no reply at the provider after them. */
  missing: number;
  /** Replies whose turn began with a message another reply's turn also began with: one turn answered twice. */
  duplicate: number;
  /** Replies the provider accepted in an order other than the conversation's. */
  outOfOrder: number;
  /** Stored replies the provider never accepted, and accepted sends that match no stored reply. */
  undelivered: number;
  phantom: number;
  /** Acknowledgement to the provider accepting the reply after it, per answered message (ms, ascending). */
  replyLatencies: number[];
};

type Row = { id: string; conversation_id: string; seq: number; direction: string; content: string };

/**
 * Checks the provider's accepted sends against the database and what the senders had acknowledged. Each
 * outbound row is one idempotency key; a turn's reply comes after the messages it answers.
 */
export async function checkReplies(
  url: string,
  load: LoadResult,
  accepted: AcceptedSend[],
): Promise<ReplyCheck> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let rows: Row[];
  try {
    rows = (
      await client.query<Row>(
        `select id, conversation_id, seq::int as seq, direction, content from messages order by conversation_id, seq`,
      )
    ).rows;
  } finally {
    await client.end();
  }
  const acceptedAt = new Map(accepted.map((send, i) => [send.key, i]));
  const outbound = rows.filter((r) => r.direction === 'outbound');
  const inboundByText = new Map(rows.filter((r) => r.direction === 'inbound').map((r) => [r.content, r]));
  const check: ReplyCheck = {
    acknowledged: 0,
    lost: 0,
    missing: 0,
    duplicate: 0,
    outOfOrder: 0,
    undelivered: 0,
    phantom: 0,
    replyLatencies: [],
  };
  for (const [sender, acked] of load.acked) {
    for (const n of acked) {
      check.acknowledged++;
      const stored = inboundByText.get(`${sender}-${n}`);
      if (!stored) {
        check.lost++;
        continue;
      }
      const answers = outbound.filter(
        (o) => o.conversation_id === stored.conversation_id && o.seq > stored.seq && acceptedAt.has(o.id),
      );
      if (answers.length === 0) {
        check.missing++;
        continue;
      }
      const ackAt = load.ackedAt.get(`${sender}-${n}`) as number;
      const replyAt = Math.min(...answers.map((o) => accepted[acceptedAt.get(o.id) as number]!.at));
      check.replyLatencies.push(Math.max(0, replyAt - ackAt));
    }
  }
  const ids = new Set(outbound.map((o) => o.id));
  check.undelivered = outbound.filter((o) => !acceptedAt.has(o.id)).length;
  check.phantom = accepted.filter((send) => !ids.has(send.key)).length;
  const firsts = accepted.map((send) => FIRST_QUOTED.exec(send.text)?.[1]).filter((f) => f !== undefined);
  check.duplicate = firsts.length - new Set(firsts).size;
  const byConversation = new Map<string, number[]>();
  for (const o of outbound) {
    const at = acceptedAt.get(o.id);
    if (at === undefined) continue;
    const list = byConversation.get(o.conversation_id) ?? [];
    list.push(at);
    byConversation.set(o.conversation_id, list);
  }
  for (const order of byConversation.values()) {
    for (let i = 1; i < order.length; i++) if (order[i]! < order[i - 1]!) check.outOfOrder++;
  }
  check.replyLatencies.sort((a, b) => a - b);
  return check;
}

export type DatabaseCheck = {
  unanswered_inbound: number;
  queued_outbound: number;
  failed_outbound: number;
  messages_without_conversation: number;
  replies_without_their_message: number;
  inbound_events_unprocessed: number;
};

/** Looks for half-written state: work left undone, or rows whose counterpart is missing. */
export async function checkDatabase(url: string): Promise<DatabaseCheck> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const one = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
    return {
      unanswered_inbound: await one(
        `select count(*) as n from messages where direction = 'inbound' and answered_at is null`,
      ),
      queued_outbound: await one(
        `select count(*) as n from messages where direction = 'outbound' and status = 'queued'`,
      ),
      failed_outbound: await one(
        `select count(*) as n from messages where direction = 'outbound' and status = 'failed'`,
      ),
      messages_without_conversation: await one(
        `select count(*) as n from messages m where not exists (select 1 from conversations c where c.id = m.conversation_id)`,
      ),
      replies_without_their_message: await one(
        `select count(*) as n from messages o where o.direction = 'outbound' and o.reply_to is not null
         and not exists (select 1 from messages i where i.id = o.reply_to)`,
      ),
      inbound_events_unprocessed: await one(`select count(*) as n from inbound_events where not processed`),
    };
  } finally {
    await client.end();
  }
}
