import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { EMAIL_SECRET_FIELDS, emailSender, INBOUND_SECRET_FIELD, newInboundSecret } from '../email-sender.ts';
import { verifyInboundSecret } from '../email/inbound-secret.ts';
import { withImapCheck } from '../email/imap-client.ts';
import { parseSendgridEvents, verifySendgridEvents } from './events.ts';
import { parseSendgridInbound } from './inbound.ts';
import { sendSendgrid, testSendgrid } from './send.ts';

/** A Signed Event Webhook verification key: base64 DER SubjectPublicKeyInfo (P-256), as SendGrid shows it. */
const publicKey = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9+/]{80,400}={0,2}$/, 'must be the base64 verification key SendGrid shows (MFkw…)');

/** SendGrid settings (spec: Email option 2). API keys start with "SG." (providers.md §6). */
export const sendgridConfig = emailSender
  .extend({
    api_keys: z
      .object({
        sendgrid: z.string().regex(/^SG\.[A-Za-z0-9_.-]{10,200}$/, 'must be a SendGrid API key (SG.…)'),
      })
      .strict(),
    /** Optional: the Signed Event Webhook's public key; delivery events are refused without it. */
    sendgrid_config: z.object({ event_webhook_public_key: publicKey.optional() }).strict().optional(),
  })
  .strict();

export const sendgrid: ProviderAdapter = {
  channel: 'email',
  provider: 'sendgrid',
  configSchema: sendgridConfig,
  secretFields: ['api_keys.sendgrid', ...EMAIL_SECRET_FIELDS],
  generatedSecrets: { [INBOUND_SECRET_FIELD]: newInboundSecret },
  send: sendSendgrid,
  test: withImapCheck(testSendgrid),
  // Inbound Parse is not signed: the URL carries Basic auth with the channel's generated inbound secret.
  verifyInboundMail: verifyInboundSecret,
  parseInboundMail: (request) => parseSendgridInbound(request),
  verifyMailEvents: verifySendgridEvents,
  parseMailEvents: (request) => parseSendgridEvents(request),
  emailWebhookInfo: (ctx, urls) => ({
    inbound_parse: {
      url: urls.inboundWithCredentials,
      paste_into:
        'SendGrid → Settings → Inbound Parse → Add Host & URL: "Destination URL" (the credentials are part of it). ' +
        'Point the receiving (sub)domain\'s MX record at mx.sendgrid.net. "POST the raw, full MIME message" may be ' +
        'on or off: both forms are read.',
    },
    event_webhook: {
      url: urls.events,
      paste_into:
        'SendGrid → Settings → Mail Settings → Event Webhook: "Post URL"; select Delivered, Bounced, Dropped, ' +
        'Spam Reports and Unsubscribes; enable "Signed Event Webhook" and copy its verification key into ' +
        'sendgrid_config.event_webhook_public_key (events are refused until it is set).',
      public_key_configured: Boolean(
        (ctx.account.settings.sendgrid_config as { event_webhook_public_key?: string } | undefined)
          ?.event_webhook_public_key,
      ),
    },
  }),
};
