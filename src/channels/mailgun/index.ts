import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { EMAIL_SECRET_FIELDS, emailSender, INBOUND_SECRET_FIELD, newInboundSecret } from '../email-sender.ts';
import { withImapCheck } from '../email/imap-client.ts';
import { hostname, token } from '../validators.ts';
import { parseMailgunEvents, verifyMailgunEvents } from './events.ts';
import { parseMailgunInbound, verifyMailgunInbound } from './inbound.ts';
import { sendMailgun, testMailgun } from './send.ts';
import { SIGNING_KEY_FIELD } from './signature.ts';

export { MAILGUN_REGIONS } from './send.ts';

/** Mailgun settings (spec: Email option 3), plus the domain's region and the webhook signing key. */
export const mailgunConfig = emailSender
  .extend({
    api_keys: z.object({ mailgun: token(8, 512) }).strict(),
    mailgun_config: z
      .object({
        domain: hostname,
        region: z.enum(['us', 'eu']).default('us'),
        /** HTTP webhook signing key (not the API key): routes and event webhooks are refused without it. */
        webhook_signing_key: token(16, 512).optional(),
      })
      .strict(),
  })
  .strict();

export const mailgun: ProviderAdapter = {
  channel: 'email',
  provider: 'mailgun',
  configSchema: mailgunConfig,
  secretFields: ['api_keys.mailgun', SIGNING_KEY_FIELD, ...EMAIL_SECRET_FIELDS],
  generatedSecrets: { [INBOUND_SECRET_FIELD]: newInboundSecret },
  send: sendMailgun,
  test: withImapCheck(testMailgun),
  verifyInboundMail: verifyMailgunInbound,
  parseInboundMail: (request) => parseMailgunInbound(request),
  verifyMailEvents: verifyMailgunEvents,
  parseMailEvents: (request) => parseMailgunEvents(request),
  emailWebhookInfo: (_ctx, urls) => ({
    route: {
      action: `forward("${urls.inbound}")`,
      raw_mime_action: `forward("${urls.inbound}?format=mime")`,
      paste_into:
        'Mailgun → Receiving → Create route: expression match_recipient("support@<your domain>"), action the ' +
        'forward() above (no credentials needed: Mailgun signs it). Copy Mailgun → Settings → Webhook signing ' +
        'key into mailgun_config.webhook_signing_key; posts are refused until it is set.',
    },
    webhooks: {
      url: urls.events,
      events: ['delivered', 'permanent_fail', 'complained', 'unsubscribed'],
      paste_into:
        'Mailgun → Sending → Webhooks: add this URL for each event listed (signed with the same key).',
    },
  }),
};
