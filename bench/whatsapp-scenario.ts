/** WhatsApp ingest benchmark: Meta webhooks signed with the app secret → durable ack, sends answered by a tiny fake. */
import { signBody } from '../src/channels/meta/verify.ts';
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
