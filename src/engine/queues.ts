import type { PgBoss } from 'pg-boss';

/** Job names. Every job is a trigger; the work list lives in our tables, so a dropped duplicate loses nothing. */
export const QUEUES = {
  /** Process the pending inbound events of one stream (one sender, or status updates), in order. */
  inbound: 'inbound',
  /**
   * A conversation's work, at most one job per conversation at a time: the agent's turn on its unanswered messages
   * once their debounce has passed, then its queued outbound messages sent in order. One queue for both, so a
   * reply goes out in the job that wrote it (no hop to another queue) and never beside another send of the same
   * conversation.
   */
  conversation: 'conversation',
  /** Parse, authenticate and classify one raw inbound mail, then ingest what it carries. */
  mail: 'email-inbound',
} as const;

/**
 * Makes the conversation's job due now: its waiting job (a debounced turn, a send's backoff) comes forward, or one
 * is created. The job still runs the turn only once it is due, so this sends what is queued without answering early.
 */
export async function conversationDueNow(boss: PgBoss, conversationId: string): Promise<void> {
  await boss.upsert(QUEUES.conversation, { conversationId }, { singletonKey: conversationId, startAfter: 0 });
}

/** Key of the inbound stream an event belongs to. */
export function streamKey(agentId: string, channel: string, stream: string): string {
  return `${agentId}|${channel}|${stream}`;
}

/**
 * A finished job is deleted after an hour (pg-boss keeps them a week by default): it is only a trigger, its work
 * and outcome are in our tables, and three per message would otherwise grow the job table and its indexes.
 */
export const FINISHED_JOB_RETENTION_S = 3600;

/**
 * Creates the queues. `stately` allows one queued and one active job per singletonKey: a job already
 * waiting absorbs later triggers, and a job arriving during a run waits for it — exactly the
 * "one turn at a time, bursts answered together" rule. With `notify` each new job is a NOTIFY that
 * wakes workers in every process.
 */
export async function createQueues(boss: PgBoss, notify: boolean): Promise<void> {
  const common = {
    policy: 'stately',
    notify,
    retryLimit: 10,
    retryBackoff: true,
    retryDelayMax: 60,
    deleteAfterSeconds: FINISHED_JOB_RETENTION_S,
  } as const;
  await boss.createQueue(QUEUES.inbound, { ...common, expireInSeconds: 60, heartbeatSeconds: 10 });
  await boss.createQueue(QUEUES.conversation, { ...common, expireInSeconds: 300, heartbeatSeconds: 10 });
  await boss.createQueue(QUEUES.mail, { ...common, expireInSeconds: 120, heartbeatSeconds: 10 });
  // createQueue leaves an existing queue as it was; these settings follow this version and the database in use.
  for (const name of Object.values(QUEUES)) {
    await boss.updateQueue(name, { notify, deleteAfterSeconds: FINISHED_JOB_RETENTION_S });
  }
}
