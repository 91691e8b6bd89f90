import type { SqlRunner } from '../db/client.ts';
import type { StoredChannels } from '../db/schema-channels.ts';
import { sealedKeyId } from '../vault/vault.ts';
import { type ChannelPlan, type ChannelState, secretKey } from './channel-config.ts';

/** NOTIFY channel announcing "this agent's channel configuration changed" (payload: the agent id). */
export const CHANNEL_CONFIG_NOTIFY = 'switchboard_channel_config';

/**
 * Loads an agent's channel state; undefined when the agent does not exist. `forUpdate` locks the config row (which
 * must exist: see ensureChannelConfigRow).
 */
export async function loadChannelState(
  query: SqlRunner,
  agentId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ChannelState | undefined> {
  const [agent] = await query<{ channels: StoredChannels | null }>(
    options.forUpdate
      ? 'select channels from channel_configs where agent_id = $1 for update'
      : 'select c.channels from agents a left join channel_configs c on c.agent_id = a.id where a.id = $1',
    [agentId],
  );
  if (!agent) return undefined;
  const rows = await query<{ channel: string; field: string; sealed: string }>(
    'select channel, field, sealed from channel_secrets where agent_id = $1',
    [agentId],
  );
  return {
    channels: agent.channels ?? {},
    secrets: new Map(rows.map((row) => [secretKey(row.channel, row.field), row.sealed])),
  };
}

/**
 * Writes a plan in the caller's transaction. Triggers on both tables NOTIFY CHANNEL_CONFIG_NOTIFY in that same
 * transaction (see the channel_config migration), so every process hears of the change once it commits.
 */
export async function writeChannelPlan(
  query: SqlRunner,
  agent: { id: string; organizationId: string; projectId: string },
  plan: ChannelPlan,
): Promise<void> {
  await query(
    `insert into channel_configs (agent_id, organization_id, project_id, channels) values ($1, $2, $3, $4)
     on conflict (agent_id) do update set channels = excluded.channels, version = channel_configs.version + 1,
       updated_at = now()`,
    [agent.id, agent.organizationId, agent.projectId, JSON.stringify(plan.channels)],
  );
  for (const write of plan.writes) {
    if (write.sealed === null) {
      await query('delete from channel_secrets where agent_id = $1 and channel = $2 and field = $3', [
        agent.id,
        write.channel,
        write.field,
      ]);
      continue;
    }
    await query(
      `insert into channel_secrets (agent_id, channel, field, key_id, sealed) values ($1, $2, $3, $4, $5)
       on conflict (agent_id, channel, field) do update set key_id = excluded.key_id, sealed = excluded.sealed,
         updated_at = now()`,
      [agent.id, write.channel, write.field, sealedKeyId(write.sealed), write.sealed],
    );
  }
}

/** Makes sure the config row exists, so `for update` has a row to lock (concurrent PUTs serialize on it). */
export async function ensureChannelConfigRow(
  query: SqlRunner,
  agent: { id: string; organizationId: string; projectId: string },
): Promise<void> {
  await query(
    `insert into channel_configs (agent_id, organization_id, project_id) values ($1, $2, $3)
     on conflict (agent_id) do nothing`,
    [agent.id, agent.organizationId, agent.projectId],
  );
}
