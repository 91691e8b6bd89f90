import { assertPublicUrl, BlockedDestinationError } from '../net/outbound-guard.ts';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  CONTACT_LINKING_MODES,
  type ContactLinking,
  readContactLinking,
  writeContactLinking,
} from '../contacts/linking-setting.ts';
import { readChannelAnalytics } from '../conversations/analytics.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { ApiError, badRequest, notFound } from '../http/errors.ts';
import { AgentParams, commonErrors, json, jsonBody, secured, SuccessMessage } from '../http/openapi.ts';
import { type RateLimit, rateLimitsOf } from '../http/rate-limit.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import { type ChannelPatch, adapterSchemas, channelView, hasProviderChoice } from './channel-config.ts';
import { mergePatches } from './config-schema.ts';
import { adapterContext } from './adapter-context.ts';
import { webhookUrl } from '../engine/webhook-route.ts';
import type { AdapterRegistry } from './registry.ts';
import {
  HandoffSettingsPatch,
  HandoffSettingsSchema,
  type HandoffSettingsPatchInput,
  loadHandoffSettings,
  writeHandoffSettings,
} from '../handoff/settings.ts';
import { CHANNELS, type ChannelAccount, type ChannelName, type TestResult } from './types.ts';

const LABELS: Record<ChannelName, string> = {
  whatsapp: 'WhatsApp',
  telegram: 'Telegram',
  email: 'Email',
  website: 'Website',
};
/** Channels with a connection test (spec: "Channels: whatsapp, telegram, email"). */
const TESTABLE: readonly ChannelName[] = ['whatsapp', 'telegram', 'email'];
/** Telegram only delivers webhooks to these ports (providers.md §2.5). */
const TELEGRAM_WEBHOOK_PORTS = ['', '443', '80', '88', '8443'];

/** Channels whose webhook the server can register with the provider, and how each route describes itself. */
const WEBHOOK_CHANNELS = ['telegram', 'whatsapp'] as const;
type WebhookChannel = (typeof WEBHOOK_CHANNELS)[number];
const WEBHOOK_SETUP_SUMMARY: Record<WebhookChannel, string> = {
  telegram: "Point the Telegram bot's webhook here, with the stored secret token (member or higher)",
  whatsapp:
    '360dialog: register this URL with the secret header; Meta: a per-number callback override (member or higher)',
};
const WEBHOOK_INFO_SUMMARY: Record<WebhookChannel, string> = {
  telegram: "Telegram's view of the bot's webhook (getWebhookInfo) (member or higher)",
  whatsapp:
    "The WhatsApp webhook: 360dialog's record, or what to paste into Meta's App Dashboard (member or higher)",
};

const base = '/api/v1/channels/organizations/{orgId}/projects/{projectId}/agents/{agentId}/channels';
const tags = ['Channels'];

/** One channel's PUT block: every provider's fields (each optional), plus enabled and, where offered, provider. */
function blockSchema(registry: AdapterRegistry, channel: ChannelName): z.ZodObject {
  const adapters = registry.providers(channel);
  const merged = adapters.map((a) => adapterSchemas(a).patch).reduce((a, b) => mergePatches(a, b));
  const extra: Record<string, z.ZodType> = { enabled: z.boolean().optional() };
  if (hasProviderChoice(registry, channel)) {
    extra.provider = z.enum(adapters.map((a) => a.provider) as [string, ...string[]]).optional();
  }
  return merged.extend(extra).strict();
}

const ContactLinkingSchema = z.enum(CONTACT_LINKING_MODES).openapi({
  description:
    'verified (default): identities sharing a verified email or E.164 phone become one contact; off: never linked',
});
const ChannelBlockView = z.looseObject({ enabled: z.boolean(), provider: z.string().optional() }).openapi({
  description:
    'Non-secret settings in the shape of the spec\'s configuration block; each stored secret shows as {"configured": true}',
});
const ConfigView = z
  .object({
    success: z.literal(true),
    data: z.object({
      agent: z.string(),
      whatsapp: ChannelBlockView,
      telegram: ChannelBlockView,
      email: ChannelBlockView,
      website: ChannelBlockView,
      handoff: HandoffSettingsSchema,
      analytics: z.looseObject({ total_messages_by_channel: z.record(z.string(), z.number()) }),
      contact_linking: ContactLinkingSchema,
    }),
  })
  .openapi('ChannelConfiguration');
const EnabledView = z
  .object({ agent_id: z.string(), enabled_channels: z.array(z.enum(CHANNELS)) })
  .openapi('EnabledChannels');
const TestSuccess = z.object({
  success: z.literal(true),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
});
const TestFailure = z.object({
  success: z.literal(false),
  error: z.string(),
  details: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
});
const WebhookInfo = z
  .object({
    success: z.literal(true),
    webhook_info: z.looseObject({
      url: z.string(),
      has_custom_certificate: z.boolean(),
      pending_update_count: z.number(),
      last_error_date: z.number().nullable().optional(),
      max_connections: z.number().optional(),
    }),
  })
  .openapi('TelegramWebhookInfo');
const WebhookSetup = z.object({
  webhook_url: z
    .url({ protocol: /^https$/, message: 'must be an https URL (Telegram requires HTTPS)' })
    .max(2048)
    .optional()
    .openapi({ example: 'https://your-domain.com/api/v1/channels/webhooks/telegram/agent_123' }),
});
const notImplemented = { 501: json(TestFailure, 'This provider has no adapter for this operation yet') };
const ChannelParam = AgentParams.extend({
  channel: z.string().openapi({ param: { name: 'channel', in: 'path' }, example: 'telegram' }),
});

export function registerChannelRoutes(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  const { db } = deps.database;
  const accounts = deps.channelAccounts;
  const registry = accounts.registry;
  const writes = rateLimitsOf(deps)('channel_writes', deps.config.CHANNEL_CONFIG_WRITES_PER_MINUTE, 60);
  const tests = rateLimitsOf(deps)('channel_tests', deps.config.CHANNEL_TESTS_PER_MINUTE, 60);
  const UpdateBody = z
    .object({
      ...Object.fromEntries(CHANNELS.map((channel) => [channel, blockSchema(registry, channel).optional()])),
      agent: z
        .unknown()
        .optional()
        .openapi({ description: 'Ignored (read-only), so a GET body can be sent back' }),
      analytics: z.unknown().optional().openapi({ description: 'Ignored (read-only)' }),
      contact_linking: ContactLinkingSchema.optional(),
      handoff: HandoffSettingsPatch.optional().openapi({
        description:
          'Global: human handoff. enabled offers the agent the handoff_to_human tool and turns keywords on; ' +
          'keywords hand a conversation to a human when a message contains one. null resets',
      }),
    })
    .strict()
    .openapi('ChannelConfigurationUpdate');

  /** Member or higher on the agent's organization; non-members 404, viewers 403. */
  const agentOf = async (c: Context<AppEnv>, limit?: RateLimit) => {
    const principal = principalOf(c);
    await limit?.consume(principal.userId);
    const p = c.req.param() as { orgId: string; projectId: string; agentId: string };
    return (await requireAgent(db, principal, p.orgId, p.projectId, p.agentId, 'member')).agent;
  };

  const contextFor = (account: ChannelAccount) => adapterContext(deps, account);

  /** The configured account and its adapter hook, or the spec's failure shape (400 unconfigured, 501 no hook). */
  const hookFor = async <K extends 'test' | 'setupWebhook' | 'webhookInfo'>(
    agentId: string,
    channel: ChannelName,
    hook: K,
    what: string,
  ) => {
    const account = await accounts.resolve(agentId, channel);
    if (!account) {
      throw new ApiError(
        400,
        `${LABELS[channel]} is not configured for this agent`,
        'Configure it with PUT …/channels first',
      );
    }
    const adapter = registry.get(channel, account.provider);
    const fn = adapter?.[hook];
    if (!adapter || !fn) {
      throw new ApiError(
        501,
        `${what} is not available yet for ${LABELS[channel]} (${account.provider})`,
        `The ${account.provider} adapter does not implement ${hook}`,
      );
    }
    return { account, adapter, run: fn.bind(adapter) as NonNullable<(typeof adapter)[K]> };
  };

  /** Runs an adapter hook; a throw becomes a 502 without the error's text (it may carry a URL with a token). */
  const guarded = async <T>(channel: ChannelName, what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      deps.logger.warn({ err, channel }, `${what} failed`);
      throw new ApiError(
        502,
        `${what} failed for ${LABELS[channel]}`,
        'The provider could not be reached or answered unexpectedly',
      );
    }
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: base,
      tags,
      summary:
        "An agent's channel configuration without secrets, with per-channel analytics (member or higher)",
      ...secured,
      request: { params: AgentParams },
      responses: { 200: json(ConfigView, 'Configuration'), ...commonErrors },
    }),
    async (c) => {
      const agent = await agentOf(c);
      const state = (await accounts.read(agent.id)) ?? { channels: {}, secrets: new Map() };
      const views = Object.fromEntries(CHANNELS.map((ch) => [ch, channelView(registry, ch, state)]));
      const analytics = await readChannelAnalytics(deps.database.query, agent.id);
      const contact_linking = await readContactLinking(deps.database.query, agent.id);
      const handoff = await loadHandoffSettings(deps.database.query, agent.id);
      const data = { agent: agent.id, ...views, handoff, analytics, contact_linking } as z.infer<
        typeof ConfigView
      >['data'];
      return c.json({ success: true as const, data }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: base,
      tags,
      summary:
        'Create or update channel configuration, merged per channel; omitted or {"configured":true} secrets are kept, null clears (member or higher)',
      ...secured,
      request: { params: AgentParams, ...jsonBody(UpdateBody) },
      responses: { 200: json(SuccessMessage, 'Updated'), ...commonErrors },
    }),
    async (c) => {
      const agent = await agentOf(c, writes);
      const body = c.req.valid('json') as ChannelPatch & {
        handoff?: HandoffSettingsPatchInput;
        contact_linking?: ContactLinking;
      };
      const { contact_linking: linking, handoff } = body;
      // Global settings are written in the configuration's own transaction: all of it applies, or none.
      await accounts.update(agent, body, async (query) => {
        if (linking) await writeContactLinking(query, agent.id, linking);
        if (handoff !== undefined) await writeHandoffSettings(query, agent.id, handoff);
      });
      return c.json({ success: true as const, message: 'Channel configuration updated successfully' }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: `${base}/enabled`,
      tags,
      summary: 'The channels switched on for an agent; website is on by default (member or higher)',
      ...secured,
      request: { params: AgentParams },
      responses: { 200: json(EnabledView, 'Enabled channels'), ...commonErrors },
    }),
    async (c) => {
      const agent = await agentOf(c);
      return c.json({ agent_id: agent.id, enabled_channels: await accounts.enabledChannels(agent.id) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: `${base}/{channel}/test`,
      tags,
      summary: 'Test a channel connection: whatsapp, telegram or email (member or higher)',
      ...secured,
      request: { params: ChannelParam },
      responses: {
        200: json(TestSuccess, 'The connection works'),
        ...commonErrors,
        400: json(TestFailure, 'The test failed, the channel is not configured, or the input is invalid'),
        404: json(TestFailure, 'Unknown channel, or no connection test for it; or agent not visible'),
        ...notImplemented,
        502: json(TestFailure, 'The provider could not be reached'),
      },
    }),
    async (c) => {
      const name = c.req.valid('param').channel;
      if (!(CHANNELS as readonly string[]).includes(name)) throw notFound(`Channel '${name}'`);
      const channel = name as ChannelName;
      if (!TESTABLE.includes(channel))
        throw new ApiError(404, `The ${channel} channel has no connection test`);
      const agent = await agentOf(c, tests);
      const { account, run } = await hookFor(agent.id, channel, 'test', 'Connection test');
      const result: TestResult = await guarded(channel, 'Connection test', () => run(contextFor(account)));
      return c.json(result, (result.success ? 200 : 400) as ContentfulStatusCode) as never;
    },
  );

  for (const channel of WEBHOOK_CHANNELS) {
    const label = LABELS[channel];
    app.openapi(
      createRoute({
        method: 'post',
        path: `${base}/${channel}/webhook/setup`,
        tags,
        summary: WEBHOOK_SETUP_SUMMARY[channel],
        ...secured,
        request: { params: AgentParams, ...jsonBody(WebhookSetup) },
        responses: {
          200: json(
            z.looseObject({ success: z.literal(true), message: z.string(), webhook_url: z.string() }),
            'Set',
          ),
          ...commonErrors,
          ...notImplemented,
          502: json(TestFailure, `${label} could not be reached or refused`),
        },
      }),
      async (c) => {
        const agent = await agentOf(c, writes);
        const given = c.req.valid('json').webhook_url;
        // The provider would deliver updates (and our secret) to whatever this resolves to.
        if (given) await publicWebhookUrl(given, deps.config.OUTBOUND_ALLOW_PRIVATE);
        const webhookUrl = WEBHOOK_URL_RULES[channel](given, deps.config.PUBLIC_URL, agent.id);
        const { account, run } = await hookFor(agent.id, channel, 'setupWebhook', 'Webhook setup');
        const details = await guarded(channel, 'Webhook setup', () =>
          run(contextFor(account), { webhook_url: webhookUrl }),
        );
        return c.json(
          {
            success: true as const,
            message: `${label} webhook set up successfully`,
            webhook_url: webhookUrl,
            details,
          },
          200,
        );
      },
    );

    app.openapi(
      createRoute({
        method: 'get',
        path: `${base}/${channel}/webhook/info`,
        tags,
        summary: WEBHOOK_INFO_SUMMARY[channel],
        ...secured,
        request: { params: AgentParams },
        responses: {
          200: json(WebhookInfo, 'Webhook info'),
          ...commonErrors,
          ...notImplemented,
          502: json(TestFailure, `${label} could not be reached or refused`),
        },
      }),
      async (c) => {
        const agent = await agentOf(c, tests);
        const { account, run } = await hookFor(agent.id, channel, 'webhookInfo', 'Webhook info');
        const info = await guarded(channel, 'Webhook info', () => run(contextFor(account)));
        return c.json({ success: true as const, webhook_info: info } as z.infer<typeof WebhookInfo>, 200);
      },
    );
  }
}

/** Refuses a member-given webhook URL whose host is (or resolves to) a private or reserved address. */
async function publicWebhookUrl(url: string, allowPrivate: boolean): Promise<void> {
  try {
    await assertPublicUrl(url, { allowPrivate });
  } catch (error) {
    if (error instanceof BlockedDestinationError)
      throw badRequest(`Invalid body: webhook_url: ${error.message}`);
    throw error;
  }
}

/** The webhook URL to register for each channel, from the body or PUBLIC_URL, checked against its rules. */
const WEBHOOK_URL_RULES: Record<
  WebhookChannel,
  (given: string | undefined, publicUrl: string | undefined, agentId: string) => string
> = { telegram: telegramWebhookUrl, whatsapp: whatsappWebhookUrl };

/** WhatsApp delivers to HTTPS only; 360dialog also refuses an explicit port or an underscore in the host. */
function whatsappWebhookUrl(
  given: string | undefined,
  publicUrl: string | undefined,
  agentId: string,
): string {
  const url = given ?? (publicUrl ? webhookUrl(publicUrl, 'whatsapp', agentId) : undefined);
  if (!url) throw badRequest('Invalid body: webhook_url: is required when PUBLIC_URL is not set');
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' || parsed.port || parsed.hostname.includes('_')) {
    throw badRequest(
      'Invalid body: webhook_url: must be an https URL without an explicit port or underscores in the host',
    );
  }
  return url;
}

/** The webhook URL to register: the one given, or PUBLIC_URL's; HTTPS on a port Telegram delivers to. */
function telegramWebhookUrl(
  given: string | undefined,
  publicUrl: string | undefined,
  agentId: string,
): string {
  const url = given ?? (publicUrl ? webhookUrl(publicUrl, 'telegram', agentId) : undefined);
  if (!url) throw badRequest('Invalid body: webhook_url: is required when PUBLIC_URL is not set');
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:') {
    throw badRequest(
      'Invalid body: webhook_url: must be an https URL (Telegram requires HTTPS); PUBLIC_URL is not https',
    );
  }
  if (!TELEGRAM_WEBHOOK_PORTS.includes(parsed.port)) {
    throw badRequest('Invalid body: webhook_url: Telegram only delivers to ports 443, 80, 88 and 8443');
  }
  return url;
}
