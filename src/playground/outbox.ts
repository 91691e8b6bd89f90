import type { SandboxOutbox } from '../channels/sandbox/outbox.ts';
import type { Database } from '../db/client.ts';
import type { Ingestor } from '../engine/ingest.ts';

/**
 * The sandbox provider's durable outbox: each rendered message is stored once (keyed by our message id, so a
 * retried send adds nothing), then its `delivered` status goes through the same ingest as a provider's status
 * webhook (deduped on its event id), so the message moves sent → delivered like a real one.
 */
export function createSandboxOutbox(
  database: Pick<Database, 'query'>,
  ingestor: () => Ingestor | undefined,
): SandboxOutbox {
  return {
    async record(delivery) {
      const ingest = ingestor();
      if (!ingest) throw new Error('The conversation engine is not running in this process');
      await database.query(
        `insert into sandbox_deliveries (message_id, agent_id, channel, provider_message_id, payload)
         values ($1, $2, $3, $4, $5::jsonb)
         on conflict (message_id) do nothing`,
        [
          delivery.messageId,
          delivery.agentId,
          delivery.channel,
          delivery.providerMessageId,
          JSON.stringify(delivery.payload),
        ],
      );
      await ingest.ingest({ agentId: delivery.agentId, channel: delivery.channel }, [
        {
          kind: 'status',
          eventId: `sandbox:${delivery.providerMessageId}:delivered`,
          providerMessageId: delivery.providerMessageId,
          status: 'delivered',
        },
      ]);
    },
  };
}
