import { dialog360 } from './360dialog/index.ts';
import { mailgun } from './mailgun/index.ts';
import { meta } from './meta/index.ts';
import { isSandboxChannel } from './sandbox/identity.ts';
import { sandboxAdapterFor } from './sandbox/index.ts';
import { sendgrid } from './sendgrid/index.ts';
import { ses } from './ses/index.ts';
import { smtp } from './smtp/index.ts';
import { telegram } from './telegram/index.ts';
import type { ChannelName, ProviderAdapter } from './types.ts';
import { twilio } from './twilio/index.ts';
import { website } from './website/index.ts';

/** Every provider adapter: one line each. */
export const ADAPTERS: readonly ProviderAdapter[] = [
  twilio,
  meta,
  dialog360,
  telegram,
  smtp,
  sendgrid,
  mailgun,
  ses,
  website,
];

/** Adapters by channel and provider; a set other than ADAPTERS can be passed in (tests, future plug-ins). */
export class AdapterRegistry {
  private readonly byKey = new Map<string, ProviderAdapter>();
  constructor(adapters: readonly ProviderAdapter[] = ADAPTERS) {
    for (const adapter of adapters) this.byKey.set(`${adapter.channel}/${adapter.provider}`, adapter);
  }

  get(channel: ChannelName, provider: string): ProviderAdapter | undefined {
    return this.byKey.get(`${channel}/${provider}`);
  }

  /**
   * The built-in sandbox provider of a channel, rendering like the agent's `realProvider` there (the console's
   * playground). Never one of `providers()`: it is not a channel-configuration choice (src/channels/sandbox/README.md).
   */
  sandbox(channel: string, realProvider?: string): ProviderAdapter | undefined {
    return isSandboxChannel(channel) ? sandboxAdapterFor(channel, realProvider) : undefined;
  }

  /** The providers a channel offers, in registration order. */
  providers(channel: ChannelName): ProviderAdapter[] {
    return [...this.byKey.values()].filter((adapter) => adapter.channel === channel);
  }
}
