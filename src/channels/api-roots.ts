import type { Config } from '../config.ts';

/** Provider API base URLs from configuration, handed to adapters in their context (so tests can use fakes). */
export const apiRootsFrom = (config: Config): Readonly<Record<string, string>> =>
  Object.freeze({
    telegram: config.TELEGRAM_API_ROOT,
    meta: config.META_GRAPH_API_ROOT,
    '360dialog': config.DIALOG360_API_ROOT,
    twilio: config.TWILIO_API_ROOT,
    'twilio-messaging': config.TWILIO_MESSAGING_API_ROOT,
  });
