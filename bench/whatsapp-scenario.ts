/**
 * WhatsApp ingest benchmark: Meta webhooks signed with the app secret, and Twilio form bodies signed with the auth
 * token → durable ack; sends answered by a tiny fake.
 */
import { signBody } from '../src/channels/meta/verify.ts';
import { twilioSignature } from '../src/channels/twilio/signature.ts';
import { putChannels, TinyApi } from './tiny-api.ts';
import { measureWebhookIngest } from './webhook-load.ts';

const PHONE_NUMBER_ID = '106540352242922';
const ACCESS_TOKEN = 'EAAGbench_access_token_0123456789';
const APP_SECRET = 'bench_app_secret_0123456789';
const USERS = 1000;

/** Answers every Graph API call like a successful send (a fresh wamid), counting calls. */
export const startTinyGraphApi = () =>
  new TinyApi((_path, calls) => ({
    messaging_product: 'whatsapp',
    contacts: [{ input: '1', wa_id: '1' }],
    messages: [{ id: `wamid.bench${calls}` }],
  })).start();

/** PUTs the agent's WhatsApp (Meta) configuration through the API. */
export const configureWhatsApp = (
  url: string,
  token: string,
  ids: { org: string; project: string; agent: string },
) =>
  putChannels(url, token, ids, {
    whatsapp: {
      enabled: true,
      provider: 'meta',
      phone_number: '+15550783881',
      verify_token: 'bench_verify_token',
      credentials: { phone_number_id: PHONE_NUMBER_ID, access_token: ACCESS_TOKEN, app_secret: APP_SECRET },
    },
  });

/** Meta text-message webhooks (fresh wamids), each signed over its exact bytes, as fast as they are acknowledged. */
export function measureWhatsAppIngest(url: string, agentId: string, durationS: number, connections: number) {
  const run = `${process.pid}_${Date.now()}`;
  return measureWebhookIngest(
    `${url}/api/v1/channels/webhooks/whatsapp/${agentId}`,
    durationS,
    connections,
    (n) => {
      const waId = String(4915100000000 + (n % USERS));
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: '102290129340398',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID },
                  contacts: [{ profile: { name: 'Bench' }, wa_id: waId }],
                  messages: [
                    {
                      from: waId,
                      id: `wamid.bench_${run}_${n}`,
                      timestamp: '1767225600',
                      type: 'text',
                      text: { body: `load ${n}` },
                    },
                  ],
                },
              },
            ],
          },
        ],
      });
      return {
        body,
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signBody(Buffer.from(body), APP_SECRET),
        },
      };
    },
  );
}

const TWILIO_ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const TWILIO_AUTH_TOKEN = 'bench_twilio_auth_token_0123';
const TWILIO_SENDER = '+14155550100';

/** Answers every Twilio call like a created message (a fresh SM sid), counting calls. */
export const startTinyTwilioApi = () =>
  new TinyApi((_path, calls) => ({
    sid: `SM${calls.toString(16).padStart(32, '0')}`,
    status: 'queued',
  })).start();

/** PUTs the agent's WhatsApp configuration with the spec's Twilio block. */
export const configureWhatsAppTwilio = (
  url: string,
  token: string,
  ids: { org: string; project: string; agent: string },
) =>
  putChannels(url, token, ids, {
    whatsapp: {
      enabled: true,
      provider: 'twilio',
      phone_number: TWILIO_SENDER,
      credentials: { account_sid: TWILIO_ACCOUNT_SID, auth_token: TWILIO_AUTH_TOKEN },
    },
  });

/** Twilio inbound form bodies (fresh MessageSids), each signed over the URL and its parameters. */
export function measureWhatsAppTwilioIngest(
  url: string,
  agentId: string,
  durationS: number,
  connections: number,
) {
  const hook = `${url}/api/v1/channels/webhooks/whatsapp/${agentId}`;
  const run = `${process.pid.toString(16)}${Date.now().toString(16)}`.padStart(16, '0').slice(-16);
  return measureWebhookIngest(hook, durationS, connections, (n) => {
    const from = `+${4915100000000 + (n % USERS)}`;
    const sid = `SM${run}${n.toString(16).padStart(16, '0')}`;
    const params: [string, string][] = [
      ['SmsMessageSid', sid],
      ['NumMedia', '0'],
      ['ProfileName', 'Bench'],
      ['MessageType', 'text'],
      ['SmsSid', sid],
      ['WaId', from.slice(1)],
      ['SmsStatus', 'received'],
      ['Body', `load ${n}`],
      ['To', `whatsapp:${TWILIO_SENDER}`],
      ['NumSegments', '1'],
      ['ReferralNumMedia', '0'],
      ['MessageSid', sid],
      ['AccountSid', TWILIO_ACCOUNT_SID],
      ['From', `whatsapp:${from}`],
      ['ApiVersion', '2010-04-01'],
    ];
    return {
      body: new URLSearchParams(params).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(TWILIO_AUTH_TOKEN, hook, params),
      },
    };
  });
}
