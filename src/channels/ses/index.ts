import { z } from 'zod';
import type { ProviderAdapter } from '../types.ts';
import { EMAIL_SECRET_FIELDS, emailSender, INBOUND_SECRET_FIELD, newInboundSecret } from '../email-sender.ts';
import { withImapCheck } from '../email/imap-client.ts';
import { sendSes, testSes } from './send.ts';
import {
  parseSesEvents,
  parseSesInboundMail,
  sesWebhookInfo,
  verifySesRequest,
  verifySnsPost,
} from './webhook.ts';

/** An SNS topic ARN (aws, aws-cn, aws-us-gov partitions). */
const topicArn = z
  .string()
  .regex(
    /^arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
    'must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)',
  );

/**
 * Amazon SES v2 settings (spec: Email option 4). Access keys are optional: without them the AWS default credential
 * chain (environment, profile, container or instance role) is used. `sns_topic_arns` are the only topics whose SNS
 * posts (receipt notifications, sending events, subscription confirmations) are accepted;
 * `configuration_set_name` is sent with every mail so its event destination publishes Delivery/Bounce/Complaint.
 */
export const sesConfig = emailSender
  .extend({
    ses_config: z
      .object({
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as us-east-1'),
        access_key_id: z
          .string()
          .regex(/^(AKIA|ASIA)[A-Z0-9]{16}$/, 'must be an AWS access key id (AKIA… or ASIA…, 20 characters)')
          .optional(),
        secret_access_key: z
          .string()
          .regex(/^[A-Za-z0-9/+=]{40}$/, 'must be an AWS secret access key (40 characters)')
          .optional(),
        configuration_set_name: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an SES configuration set name (letters, digits, _ and -)')
          .optional(),
        sns_topic_arns: z.array(topicArn).max(10).optional(),
      })
      .strict(),
  })
  .strict();

export const ses: ProviderAdapter = {
  channel: 'email',
  provider: 'ses',
  configSchema: sesConfig,
  secretFields: ['ses_config.secret_access_key', ...EMAIL_SECRET_FIELDS],
  generatedSecrets: { [INBOUND_SECRET_FIELD]: newInboundSecret },
  /** The raw MIME route's secret, or for SNS posts the topic allow-list and SNS signature. */
  verify: verifySesRequest,
  /** SES receipt rule → SNS → POST …/webhooks/email/{agentId}. */
  verifyInboundMail: verifySnsPost,
  parseInboundMail: parseSesInboundMail,
  /** Configuration-set events (Delivery, Bounce, Complaint) → SNS → POST …/webhooks/email/{agentId}/events. */
  verifyMailEvents: verifySnsPost,
  parseMailEvents: parseSesEvents,
  emailWebhookInfo: sesWebhookInfo,
  send: sendSes,
  test: withImapCheck(testSes),
};
