import { meta } from '../../src/channels/meta/index.ts';
import { SIGNATURE_HEADER, signBody } from '../../src/channels/meta/verify.ts';
import type { RawRequest } from '../../src/channels/types.ts';
import { type FakeGraph, startFakeGraph } from '../helpers/fake-graph.ts';
import { cloudApiErrorCases, cloudApiFixtures, PHONE_NUMBER_ID, USER } from './cloud-api-fixtures.ts';
import { adapterContract } from './adapter-contract.ts';

const ACCESS_TOKEN = 'EAAGcontract_access_token_0123456789';
const APP_SECRET = 'contract_app_secret_0123456789';
const VERIFY_TOKEN = 'contract_verify_token_0123';

let fake: FakeGraph;

const request = (payload: unknown, headers: Record<string, string>, body?: Uint8Array): RawRequest => {
  const bytes = body ?? new TextEncoder().encode(JSON.stringify(payload));
  return {
    method: 'POST',
    url: 'https://switchboard.example/api/v1/channels/webhooks/whatsapp/agent_contract',
    headers: new Headers({ 'content-type': 'application/json', ...headers }),
    body: bytes,
  };
};
const signedWith = (payload: unknown, secret: string) => {
  const body = new TextEncoder().encode(JSON.stringify(payload));
  return request(payload, { [SIGNATURE_HEADER]: signBody(body, secret) }, body);
};

const config = {
  phone_number: '+15550783881',
  verify_token: VERIFY_TOKEN,
  credentials: {
    phone_number_id: PHONE_NUMBER_ID,
    access_token: ACCESS_TOKEN,
    business_account_id: '102290129340398',
    app_secret: APP_SECRET,
  },
};

adapterContract({
  adapter: meta,
  config,
  invalidConfigs: [
    { config: { ...config, phone_number: '0155' }, field: 'phone_number' },
    {
      config: { ...config, credentials: { ...config.credentials, phone_number_id: 'abc' } },
      field: 'credentials.phone_number_id',
    },
    {
      config: { ...config, credentials: { ...config.credentials, app_secret: undefined } },
      field: 'credentials.app_secret',
    },
    { config: { ...config, graph_version: '25' }, field: 'graph_version' },
    {
      config: { ...config, reengagement_template: { name: 'Bad Name', language: 'en' } },
      field: 'reengagement_template.name',
    },
  ],
  async startFake() {
    fake = await startFakeGraph({
      accessToken: ACCESS_TOKEN,
      appSecret: APP_SECRET,
      phoneNumberId: PHONE_NUMBER_ID,
      displayPhoneNumber: '15550783881',
    });
    return { apiRoots: { meta: fake.url }, stop: () => fake.close() };
  },
  signed: (payload) => signedWith(payload, APP_SECRET),
  forged: (payload) => {
    const body = new TextEncoder().encode(JSON.stringify(payload));
    const tampered = new TextEncoder().encode(`${JSON.stringify(payload)} `);
    return [
      { name: 'other app secret', request: signedWith(payload, 'another_app_secret_xyz') },
      {
        name: 'tampered body',
        request: request(payload, { [SIGNATURE_HEADER]: signBody(body, APP_SECRET) }, tampered),
      },
      { name: 'no header', request: request(payload, {}) },
      { name: 'sha1 only', request: request(payload, { 'x-hub-signature': 'sha1=0000' }) },
      {
        name: 'truncated',
        request: request(payload, { [SIGNATURE_HEADER]: signBody(body, APP_SECRET).slice(0, 40) }),
      },
    ];
  },
  fixtures: cloudApiFixtures,
  unreachable: { apiRoots: { meta: 'http://127.0.0.1:1' } },
  recipient: { platformUserId: USER.waId, chatId: USER.waId },
  errorCases: cloudApiErrorCases(() => fake),
});
