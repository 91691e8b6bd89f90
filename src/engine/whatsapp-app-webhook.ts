import { answerHandshake } from '../channels/meta/verify.ts';
import type { RawRequest } from '../channels/types.ts';
import { phoneNumberIdsOf } from '../channels/whatsapp/envelope.ts';
import type { AppDeps } from '../http/env.ts';
import { ApiError, unauthorized } from '../http/errors.ts';
import type { WebhookTarget } from './webhook-route.ts';

/**
 * The app-level WhatsApp callback (one Meta app, many numbers): each `entry[].changes[].value` belongs to the
 * agent whose Meta channel has its `metadata.phone_number_id`. The body is routed by those ids only after the
 * signature verifies with every owning account's app secret; unknown numbers are ignored (logged once each).
 */

/** Most distinct numbers routed from one body, and Meta accounts consulted for a handshake. */
const MAX_NUMBERS = 100;
const MAX_HANDSHAKE_ACCOUNTS = 500;
/** Unknown numbers already logged (bounded), so a misrouted number logs once, not on every delivery. */
const loggedUnknown = new Set<string>();
const MAX_LOGGED = 10_000;

const META_NUMBER = `channels->'whatsapp'->'settings'->'credentials'->>'phone_number_id'`;

/** Agents whose Meta WhatsApp channel uses each phone number id. */
async function ownersOf(deps: AppDeps, ids: string[]): Promise<Map<string, string[]>> {
  const rows = await deps.database.query<{ agent_id: string; phone_number_id: string }>(
    `select agent_id, ${META_NUMBER} as phone_number_id from channel_configs
     where channels->'whatsapp'->>'provider' = 'meta' and ${META_NUMBER} = any($1::text[])`,
    [ids],
  );
  const owners = new Map<string, string[]>();
  for (const row of rows)
    owners.set(row.phone_number_id, [...(owners.get(row.phone_number_id) ?? []), row.agent_id]);
  return owners;
}

function logUnknown(deps: AppDeps, ids: string[]) {
  const fresh = ids.filter((id) => !loggedUnknown.has(id));
  if (fresh.length === 0) return;
  if (loggedUnknown.size + fresh.length > MAX_LOGGED) loggedUnknown.clear();
  for (const id of fresh) loggedUnknown.add(id);
  deps.logger.warn(
    { phoneNumberIds: fresh },
    'WhatsApp webhook for numbers no agent has configured; ignored',
  );
}

/**
 * The verified targets of an app-level delivery: one per agent owning a number in the body. Any owner whose
 * app secret does not verify the exact bytes → 401 and nothing is recorded.
 */
export async function whatsappAppTargets(deps: AppDeps, request: RawRequest): Promise<WebhookTarget[]> {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(request.body));
  } catch {
    throw new ApiError(400, 'Webhook body is not a valid update');
  }
  const ids = phoneNumberIdsOf(body).slice(0, MAX_NUMBERS);
  const owners = ids.length > 0 ? await ownersOf(deps, ids) : new Map<string, string[]>();
  logUnknown(
    deps,
    ids.filter((id) => !owners.has(id)),
  );
  const agents = [...new Set([...owners.values()].flat())];
  const targets: WebhookTarget[] = [];
  for (const agentId of agents) {
    const sender = await deps.senders?.(agentId, 'whatsapp');
    const account = sender?.ctx.account;
    if (!sender?.adapter.verify || account?.provider !== 'meta' || !account.enabled) continue;
    const verdict = await sender.adapter.verify(request, sender.ctx);
    if (verdict.ok !== true) throw unauthorized('Webhook signature is missing or invalid');
    targets.push({ agentId, channel: 'whatsapp', sender });
  }
  return targets;
}

/** Meta's GET handshake on the app-level URL: the verify token of any configured Meta channel is accepted. */
export async function whatsappHandshake(
  deps: AppDeps,
  request: RawRequest,
): Promise<{ status: number; body: string }> {
  const rows = await deps.database.query<{ agent_id: string }>(
    `select agent_id from channel_configs where channels->'whatsapp'->>'provider' = 'meta'
     order by agent_id limit ${MAX_HANDSHAKE_ACCOUNTS}`,
  );
  const tokens: (string | undefined)[] = [];
  for (const { agent_id: agentId } of rows) {
    const sender = await deps.senders?.(agentId, 'whatsapp');
    if (sender?.ctx.account.enabled) tokens.push(await sender.ctx.account.secret('verify_token'));
  }
  const verdict = answerHandshake(request.url, tokens);
  return verdict.ok === 'handshake' ? verdict : { status: 403, body: 'Forbidden' };
}
