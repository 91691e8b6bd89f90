import type { Transporter } from 'nodemailer';
import { composeReply, type Sender } from '../email/compose.ts';
import { normalizeMessageId } from '../email/headers.ts';
import { fetchAttachments } from '../email/outbound-attachments.ts';
import type { AdapterContext, OutboundMessage, SendResult, TestResult } from '../types.ts';
import { sesClient, sesConfigOf, sesSdk } from './client.ts';
import { sesDeliveryError, sesReason } from './errors.ts';

/** The EmailTag and header carrying our message id: SES events name the mail by them (never by guess). */
export const SES_MESSAGE_TAG = 'switchboard_message_id';
export const SES_MESSAGE_HEADER = 'X-Switchboard-Message-Id';

let builder: Transporter | undefined;
/** Builds RFC 5322 bytes exactly as nodemailer would send them over SMTP (no file or URL access); loaded on first use. */
async function rawBuilder(): Promise<Transporter> {
  if (!builder) {
    const { createTransport } = await import('nodemailer');
    builder = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  }
  return builder;
}

/** The mail SES sends: the shared composer's reply, our id in References (SES rewrites Message-ID) and a header. */
export async function composeSesMail(message: OutboundMessage, ctx: AdapterContext) {
  const mail = composeReply(message, ctx.account.settings as Sender);
  const references = [...((mail.references as string[] | undefined) ?? []), mail.messageId];
  const attachments = message.attachments?.length
    ? await fetchAttachments(message.attachments, ctx.fetchPublic)
    : [];
  const info = await (
    await rawBuilder()
  ).sendMail({
    ...mail,
    references,
    headers: { ...(mail.headers as Record<string, string>), [SES_MESSAGE_HEADER]: message.messageId },
    ...(attachments.length ? { attachments } : {}),
  });
  return { messageId: mail.messageId, raw: info.message as Buffer };
}

/**
 * Sends one reply with SESv2 SendEmail, Content.Raw built by the shared composer so every header is ours. SES
 * replaces the Message-ID with its own, so our Message-ID also goes last in References (replies keep it there and
 * threads hold) and our message id rides along as an EmailTag and a header for delivery events. The provider id is
 * SES's MessageId (what its events name).
 */
export async function sendSes(message: OutboundMessage, ctx: AdapterContext): Promise<SendResult> {
  const config = sesConfigOf(ctx);
  const sender = ctx.account.settings as Sender;
  const { messageId, raw } = await composeSesMail(message, ctx);
  let sesMessageId: string | undefined;
  try {
    const client = await sesClient(ctx);
    const { SendEmailCommand } = await sesSdk();
    const result = await client.send(
      new SendEmailCommand({
        FromEmailAddress: sender.from_email,
        Destination: { ToAddresses: [message.recipient.chatId] },
        Content: { Raw: { Data: raw } },
        EmailTags: [{ Name: SES_MESSAGE_TAG, Value: message.messageId }],
        ...(config.configuration_set_name ? { ConfigurationSetName: config.configuration_set_name } : {}),
      }),
    );
    sesMessageId = result.MessageId;
  } catch (error) {
    throw sesDeliveryError(error, [await ctx.account.secret('ses_config.secret_access_key')]);
  }
  // SES rewrites the Message-ID to <MessageId@…amazonses.com>: its id is the provider id; replies still thread
  // through our Message-ID in References (matched by our message id, src/engine/conversation-store.ts).
  return { providerMessageId: sesMessageId ?? normalizeMessageId(messageId) ?? messageId };
}

/** The identities that can send as `from_email`: the address itself, then its domain. */
const identitiesOf = (fromEmail: string) => [fromEmail, fromEmail.split('@').pop() ?? fromEmail];

/** Sending is enabled for the account (GetAccount) and `from_email` or its domain is a verified identity. */
export async function testSes(ctx: AdapterContext): Promise<TestResult> {
  const config = sesConfigOf(ctx);
  const fromEmail = (ctx.account.settings as Sender).from_email;
  const secrets = [await ctx.account.secret('ses_config.secret_access_key')];
  let client;
  try {
    client = await sesClient(ctx);
    const { GetAccountCommand, GetEmailIdentityCommand } = await sesSdk();
    const account = await client.send(new GetAccountCommand({}));
    if (!account.SendingEnabled) {
      return {
        success: false,
        error: 'Sending is disabled for this SES account',
        details: { region: config.region, enforcement_status: account.EnforcementStatus ?? null },
      };
    }
    for (const identity of identitiesOf(fromEmail)) {
      const found = await client
        .send(new GetEmailIdentityCommand({ EmailIdentity: identity }))
        .catch((error: unknown) => {
          if ((error as Error).name === 'NotFoundException') return undefined;
          throw error;
        });
      if (found?.VerifiedForSendingStatus) {
        return {
          success: true,
          message: 'SES connection test successful',
          details: {
            region: config.region,
            identity,
            production_access: account.ProductionAccessEnabled ?? false,
            max_24_hour_send: account.SendQuota?.Max24HourSend ?? null,
            max_send_rate: account.SendQuota?.MaxSendRate ?? null,
          },
        };
      }
    }
    return {
      success: false,
      error: 'The sender is not a verified SES identity',
      details: { region: config.region, from_email: fromEmail, checked: identitiesOf(fromEmail) },
    };
  } catch (error) {
    const failure = sesDeliveryError(error, secrets);
    return {
      success: false,
      error: failure.code === 'ses_auth_failed' ? 'SES authentication failed' : 'Failed to reach Amazon SES',
      details: sesReason(error, secrets),
    };
  }
}
