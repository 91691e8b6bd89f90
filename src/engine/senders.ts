import type { AdapterContext, ProviderAdapter } from '../channels/types.ts';

/** A channel account ready to send: its adapter and I/O context. */
export type Sender = { adapter: ProviderAdapter; ctx: AdapterContext };

/** Finds how to reach an agent's channel; null when the channel is not configured or has no sender. */
export type SenderLookup = (agentId: string, channel: string) => Promise<Sender | null>;

/** Channels whose replies need no delivery job: the client reads them from the store (the widget). */
export const INLINE_CHANNELS = new Set(['website']);
