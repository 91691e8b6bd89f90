import { dialog360 } from '../../src/channels/360dialog/index.ts';
import { SECRET_HEADER } from '../../src/channels/360dialog/webhook.ts';
import type { RawRequest } from '../../src/channels/types.ts';
import { type Fake360Dialog, startFake360Dialog } from '../helpers/fake-360dialog.ts';
import { adapterContract } from './adapter-contract.ts';
import { cloudApiErrorCases, cloudApiFixtures, PHONE_NUMBER_ID, USER } from './cloud-api-fixtures.ts';

const API_KEY = 'contract_d360_api_key_0123456789';
const SECRET = 'contract_webhook_secret_0123456789';

let fake: Fake360Dialog;

const request = (payload: unknown, headers: Record<string, string>): RawRequest => ({
  method: 'POST',
  url: 'https://switchboard.example/api/v1/channels/webhooks/whatsapp/agent_contract',
  headers: new Headers({ 'content-type': 'application/json', ...headers }),
  body: new TextEncoder().encode(JSON.stringify(payload)),
});

adapterContract({
  adapter: dialog360,
  config: { phone_number: '+15550783881', webhook_secret: SECRET, credentials: { api_key: API_KEY } },
  invalidConfigs: [
    { config: { phone_number: '12', credentials: { api_key: API_KEY } }, field: 'phone_number' },
    { config: { phone_number: '+15550783881', credentials: {} }, field: 'credentials.api_key' },
    {
      config: { phone_number: '+15550783881', webhook_secret: 'short', credentials: { api_key: API_KEY } },
      field: 'webhook_secret',
    },
    {
      config: { phone_number: '+15550783881', echo_quiet_minutes: -1, credentials: { api_key: API_KEY } },
      field: 'echo_quiet_minutes',
    },
  ],
  async startFake() {
    fake = await startFake360Dialog({
      apiKey: API_KEY,
      phoneNumberId: PHONE_NUMBER_ID,
      displayPhoneNumber: '15550783881',
    });
    return { apiRoots: { '360dialog': fake.url }, stop: () => fake.close() };
  },
  signed: (payload) => request(payload, { [SECRET_HEADER]: SECRET }),
  forged: (payload) => [
    { name: 'wrong secret', request: request(payload, { [SECRET_HEADER]: `${SECRET}x` }) },
    { name: 'secret prefix', request: request(payload, { [SECRET_HEADER]: SECRET.slice(0, 12) }) },
    { name: 'no header', request: request(payload, {}) },
    { name: 'a Meta signature instead', request: request(payload, { 'x-hub-signature-256': 'sha256=00' }) },
  ],
  fixtures: cloudApiFixtures,
  unreachable: { apiRoots: { '360dialog': 'http://127.0.0.1:1' } },
  recipient: { platformUserId: USER.waId, chatId: USER.waId },
  errorCases: [
    ...cloudApiErrorCases(() => fake),
    {
      name: '401 invalid api key',
      inject: () => fake.refuseCredentialOnce(),
      expect: { retryable: false, code: 'unauthorized' },
    },
  ],
});
