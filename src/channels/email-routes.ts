import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { MAIL_EVENTS_SUFFIX, MAIL_WEBHOOK_PREFIX } from '../engine/mail-route.ts';
import { adapterContext } from './adapter-context.ts';
import { INBOUND_SECRET_HEADER, INBOUND_USER } from './email/inbound-secret.ts';
import type { AppDeps, AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { AgentParams, commonErrors, json, secured } from '../http/openapi.ts';
import { principalOf, requireAgent } from '../platform/access.ts';
import { readImapStatus } from '../mail/imap-store.ts';
import { INBOUND_SECRET_FIELD } from './email-sender.ts';

const EmailWebhookInfo = z
  .object({
    success: z.literal(true),
    webhook_info: z.object({
      url: z
        .string()
        .openapi({ description: 'Inbound URL with its credentials, ready to paste into an MTA' }),
      url_without_credentials: z.string(),
      basic_auth_user: z.string(),
      secret_header: z.string().openapi({ description: 'Alternative to Basic auth: send the secret in it' }),
      content_type: z.literal('message/rfc822'),
      max_bytes: z.number(),
      provider: z
        .string()
        .openapi({ description: 'The configured email provider (smtp, sendgrid, mailgun, ses)' }),
      events_url: z.string().nullable().openapi({
        description:
          'Where the provider posts delivery events (POST …/email/{agentId}/events); null for SMTP',
      }),
      provider_setup: z
        .record(z.string(), z.unknown())
        .nullable()
        .openapi({
          description:
            "What to paste where in the provider's console (inbound URL, events URL, keys to copy back); " +
            'null for SMTP',
        }),
      imap: z
        .record(z.string(), z.unknown())
        .nullable()
        .openapi({
          description:
            'IMAP poller state when imap_config is set (state connecting|connected|error|stopped, held, error, ' +
            'last_poll_at, last_uid, uid_validity); null otherwise',
        }),
    }),
  })
  .openapi('EmailWebhookInfo');

/**
 * `GET …/channels/email/webhook/info` (member or higher): the raw MIME inbound URL with credentials, and for a
 * provider (SendGrid, Mailgun, SES) its events URL and what to paste where (`provider_setup`).
 */
export function registerEmailInfoRoute(app: OpenAPIHono<AppEnv>, deps: AppDeps): void {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/v1/channels/organizations/{orgId}/projects/{projectId}/agents/{agentId}/channels/email/webhook/info',
      tags: ['Channels'],
      summary: 'Where an MTA posts raw mail for this agent, credentials included (member or higher)',
      ...secured,
      request: { params: AgentParams },
      responses: { 200: json(EmailWebhookInfo, 'Inbound mail settings'), ...commonErrors },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const { agent } = await requireAgent(
        deps.database.db,
        principalOf(c),
        p.orgId,
        p.projectId,
        p.agentId,
        'member',
      );
      const account = await deps.channelAccounts.resolve(agent.id, 'email');
      const secret = await account?.secret(INBOUND_SECRET_FIELD);
      if (!account || !secret) {
        throw new ApiError(
          400,
          'Email is not configured for this agent',
          'Configure it with PUT …/channels first',
        );
      }
      const origin = deps.config.PUBLIC_URL ?? new URL(c.req.url).origin;
      const plain = new URL(`${MAIL_WEBHOOK_PREFIX}${agent.id}`, origin);
      const withCredentials = new URL(plain);
      withCredentials.username = INBOUND_USER;
      withCredentials.password = secret;
      const adapter = deps.channelAccounts.registry.get('email', account.provider);
      const events = adapter?.verifyMailEvents
        ? new URL(`${MAIL_WEBHOOK_PREFIX}${agent.id}${MAIL_EVENTS_SUFFIX}`, origin).toString()
        : null;
      const setup = adapter?.emailWebhookInfo?.(adapterContext(deps, account), {
        inbound: plain.toString(),
        inboundWithCredentials: withCredentials.toString(),
        events:
          events ?? new URL(`${MAIL_WEBHOOK_PREFIX}${agent.id}${MAIL_EVENTS_SUFFIX}`, origin).toString(),
      });
      return c.json(
        {
          success: true as const,
          webhook_info: {
            url: withCredentials.toString(),
            url_without_credentials: plain.toString(),
            basic_auth_user: INBOUND_USER,
            secret_header: INBOUND_SECRET_HEADER,
            content_type: 'message/rfc822' as const,
            max_bytes: deps.config.EMAIL_MAX_BYTES,
            provider: account.provider,
            events_url: events,
            provider_setup: setup ?? null,
            imap: account.settings.imap_config ? await readImapStatus(deps.database.query, agent.id) : null,
          },
        },
        200,
      );
    },
  );
}
