import type { SqlRunner } from './client.ts';

/** Longest a nonce is remembered, and the longest nonce kept (longer ones are refused, never truncated). */
const MAX_TTL_MS = 7 * 24 * 3_600_000;
const MAX_NONCE_CHARS = 512;
/** Expired rows removed per claim: pruning keeps pace with inserts and never runs long. */
const PRUNE_BATCH = 100;

/**
 * Records a webhook nonce for `ttlMs`: true the first time, false while an earlier use has not expired (a
 * replay). The primary key makes it race-free across processes; an expired use is claimed again.
 */
export async function claimNonce(
  query: SqlRunner,
  input: { agentId: string; scope: string; nonce: string; ttlMs: number },
): Promise<boolean> {
  if (input.nonce.length === 0 || input.nonce.length > MAX_NONCE_CHARS) return false;
  const ttl = Math.min(Math.max(input.ttlMs, 1000), MAX_TTL_MS);
  await query(
    `delete from webhook_nonces where ctid in
       (select ctid from webhook_nonces where expires_at < now() limit ${PRUNE_BATCH})`,
  );
  const rows = await query(
    `insert into webhook_nonces (agent_id, scope, nonce, expires_at)
     values ($1, $2, $3, now() + make_interval(secs => $4::double precision / 1000))
     on conflict (agent_id, scope, nonce) do update set expires_at = excluded.expires_at
       where webhook_nonces.expires_at < now()
     returning 1`,
    [input.agentId, input.scope.slice(0, 100), input.nonce, ttl],
  );
  return rows.length > 0;
}

/** Forgets a claimed nonce: the delivery it admitted was not stored, and its redelivery must be admitted. */
export async function releaseNonce(
  query: SqlRunner,
  input: { agentId: string; scope: string; nonce: string },
): Promise<void> {
  await query(`delete from webhook_nonces where agent_id = $1 and scope = $2 and nonce = $3`, [
    input.agentId,
    input.scope.slice(0, 100),
    input.nonce,
  ]);
}
