import type { AdapterContext, ProviderAdapter } from '../channels/types.ts';

/** A channel account ready to send: its adapter and I/O context. */
export type Sender = { adapter: ProviderAdapter; ctx: AdapterContext };

/**
 * Finds how to reach an agent's channel; null when the channel is not configured or has no sender. With the
 * `recipient`'s platform id, a sandbox customer (`sandbox:…`, src/channels/sandbox) gets the sandbox provider of
 * that channel, whatever the channel's configured provider; webhooks never pass one, so they never reach it.
 */
export type SenderLookup = (agentId: string, channel: string, recipient?: string) => Promise<Sender | null>;

/** Channels whose replies need no delivery job: the client reads them from the store (the widget). */
export const INLINE_CHANNELS = new Set(['website']);
