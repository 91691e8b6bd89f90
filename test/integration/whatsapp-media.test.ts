import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialog360 } from '../../src/channels/360dialog/index.ts';
import { dialog360Api } from '../../src/channels/360dialog/api.ts';
import { metaApi } from '../../src/channels/meta/api.ts';
import { meta } from '../../src/channels/meta/index.ts';
import { fetchCloudMedia } from '../../src/channels/whatsapp/media.ts';
import type { AdapterContext, ProviderAdapter } from '../../src/channels/types.ts';
import { type Fake360Dialog, startFake360Dialog } from '../helpers/fake-360dialog.ts';
import type { FakeCloudApi } from '../helpers/fake-cloud-api.ts';
import { type FakeGraph, startFakeGraph } from '../helpers/fake-graph.ts';
import { captureLogger } from '../helpers/logs.ts';

/**
 * Inbound media through the adapters' fetchAttachment against the fakes: Meta resolves the media id and
 * downloads with the Bearer token from its own host; 360dialog swaps Meta's lookaside host for its own; a URL
 * on any other host is refused before a request carries the credential anywhere.
 */

const TOKEN = `EAAG${randomBytes(16).toString('hex')}`;
const KEY = `d360_${randomBytes(16).toString('hex')}`;
let graph: FakeGraph;
let d360: Fake360Dialog;
const requested: string[] = [];

const recordingFetch: typeof fetch = (input, init) => {
  requested.push(String(input instanceof Request ? input.url : input));
  return fetch(input, init);
};

function contextFor(
  adapter: ProviderAdapter,
  secrets: Record<string, string>,
  settings: object,
  roots: Record<string, string>,
): AdapterContext {
  return {
    account: {
      agentId: 'agent_media',
      channel: 'whatsapp',
      provider: adapter.provider,
      enabled: true,
      settings: settings as Record<string, unknown>,
      secret: async (field) => secrets[field],
    },
    fetch: recordingFetch,
    fetchPublic: recordingFetch,
    now: Date.now,
    logger: captureLogger('debug').logger,
    apiRoots: roots,
  };
}

const bytesOf = async (body: ReadableStream<Uint8Array>) =>
  Buffer.from(await new Response(body).arrayBuffer());

beforeAll(async () => {
  graph = await startFakeGraph({
    accessToken: TOKEN,
    appSecret: 'app_secret_media',
    phoneNumberId: '400000000000001',
    displayPhoneNumber: '15550004444',
  });
  d360 = await startFake360Dialog({
    apiKey: KEY,
    phoneNumberId: '400000000000002',
    displayPhoneNumber: '15550005555',
  });
});
afterAll(async () => {
  await graph?.close();
  await d360?.close();
});

const cases: [string, () => { adapter: ProviderAdapter; ctx: AdapterContext; fake: FakeCloudApi }][] = [
  [
    'meta',
    () => ({
      adapter: meta,
      fake: graph,
      ctx: contextFor(
        meta,
        { 'credentials.access_token': TOKEN },
        { credentials: { phone_number_id: '400000000000001' } },
        { meta: graph.url },
      ),
    }),
  ],
  [
    '360dialog',
    () => ({
      adapter: dialog360,
      fake: d360,
      ctx: contextFor(dialog360, { 'credentials.api_key': KEY }, {}, { '360dialog': d360.url }),
    }),
  ],
];

describe.each(cases)('%s media', (_name, setup) => {
  it('downloads an inbound file with the right content type, only from the provider’s host', async () => {
    const { adapter, ctx, fake } = setup();
    requested.length = 0;
    const bytes = randomBytes(3000);
    const id = fake.addMedia(bytes, 'application/pdf');
    const file = await adapter.fetchAttachment?.(
      { type: 'document', ref: id, mime_type: 'application/pdf' },
      ctx,
    );
    expect(file?.contentType).toBe('application/pdf');
    expect(file?.size).toBe(3000);
    expect(await bytesOf(file!.body)).toEqual(bytes);
    for (const url of requested) expect(new URL(url).origin).toBe(fake.url);
  });

  it('refuses a media URL on another host without sending the credential there', async () => {
    const { adapter, ctx, fake } = setup();
    const id = fake.addMedia(Buffer.from('secret bytes'), 'image/jpeg');
    fake.mediaUrlOverride = () => 'https://media.attacker.example/file?mid=1';
    requested.length = 0;
    try {
      await expect(adapter.fetchAttachment?.({ type: 'image', ref: id }, ctx)).rejects.toThrow(
        /not on a host/,
      );
    } finally {
      fake.mediaUrlOverride = undefined;
    }
    expect(requested.some((url) => url.includes('attacker'))).toBe(false);
  });

  it('the fake takes uploads only with the credential, and serves them by media id', async () => {
    const { ctx, fake, adapter } = setup();
    const api = adapter === meta ? await metaApi(ctx) : await dialog360Api(ctx);
    const uploadUrl = api.messagesUrl.replace(/messages$/, 'media');
    const form = () => {
      const data = new FormData();
      data.set('messaging_product', 'whatsapp');
      data.set('type', 'image/png');
      data.set('file', new Blob([Buffer.from('png-bytes')], { type: 'image/png' }), 'a.png');
      return data;
    };
    expect((await fetch(uploadUrl, { method: 'POST', body: form() })).status).toBe(401);
    const uploaded = await fetch(uploadUrl, { method: 'POST', headers: api.headers, body: form() });
    expect(uploaded.status).toBe(200);
    const { id } = (await uploaded.json()) as { id: string };
    const file = await fetchCloudMedia(ctx, api, { type: 'image', ref: id });
    expect(file.contentType).toBe('image/png');
    expect((await bytesOf(file.body)).toString()).toBe('png-bytes');
    expect(fake.mediaSha256(id)).toMatch(/=$/);
  });

  it('stops a download larger than the bound', async () => {
    const { adapter, ctx, fake } = setup();
    const api = adapter === meta ? await metaApi(ctx) : await dialog360Api(ctx);
    const id = fake.addMedia(randomBytes(5000), 'video/mp4');
    await expect(fetchCloudMedia(ctx, api, { type: 'video', ref: id }, 1000)).rejects.toThrow(
      /larger than allowed/,
    );
  });
});
