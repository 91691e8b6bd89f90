import { expect } from 'vitest';
import { loopbackAdapter } from '../../src/channels/loopback/adapter.ts';
import { LOOPBACK_SIGNATURE_HEADER, signLoopback } from '../../src/channels/loopback/protocol.ts';
import type { RawRequest } from '../../src/channels/types.ts';
import { LOOPBACK_SECRET, LoopbackPeer } from '../helpers/loopback-peer.ts';
import { adapterContract } from './adapter-contract.ts';

let peer: LoopbackPeer;

const request = (body: string, signature?: string): RawRequest => ({
  method: 'POST',
  url: 'http://127.0.0.1/api/v1/channels/webhooks/loopback/agent_contract',
  headers: new Headers({
    'content-type': 'application/json',
    ...(signature ? { [LOOPBACK_SIGNATURE_HEADER]: signature } : {}),
  }),
  body: new TextEncoder().encode(body),
});

adapterContract({
  adapter: loopbackAdapter,
  config: { url: 'http://127.0.0.1:1', secret: LOOPBACK_SECRET },
  invalidConfigs: [
    { config: { url: 'not a url', secret: LOOPBACK_SECRET }, field: 'url' },
    { config: { url: 'http://127.0.0.1:1', secret: 'short' }, field: 'secret' },
  ],
  async startFake() {
    peer = await new LoopbackPeer().start();
    return { settings: { url: peer.url }, stop: () => peer.close() };
  },
  signed: (payload) => {
    const body = JSON.stringify(payload);
    return request(body, signLoopback(body, LOOPBACK_SECRET));
  },
  forged: (payload) => {
    const body = JSON.stringify(payload);
    return [
      {
        name: 'signed with another secret',
        request: request(body, signLoopback(body, `${LOOPBACK_SECRET}x`)),
      },
      { name: 'tampered body', request: request(`${body} `, signLoopback(body, LOOPBACK_SECRET)) },
      { name: 'no signature', request: request(body) },
    ];
  },
  fixtures: [
    {
      name: 'message',
      payload: { update_id: 'u1', message: { message_id: 'm1', from: 'user-1', text: 'hi', username: 'bo' } },
      expect: (events) =>
        expect(events).toEqual([
          expect.objectContaining({
            kind: 'message',
            eventId: 'u1',
            text: 'hi',
            sender: expect.objectContaining({ platformUserId: 'user-1', username: '@bo' }),
          }),
        ]),
    },
    {
      name: 'status',
      payload: { update_id: 'u2', status: { message_id: 'lb_1', status: 'read' } },
      expect: (events) =>
        expect(events).toEqual([
          { kind: 'status', eventId: 'u2', providerMessageId: 'lb_1', status: 'read' },
        ]),
    },
  ],
  unreachable: { settings: { url: 'http://127.0.0.1:1' } },
  recipient: { platformUserId: 'user-1', chatId: 'user-1' },
  errorCases: [
    {
      name: '429 with Retry-After',
      inject: () => peer.failNext({ status: 429, retryAfter: 2 }),
      expect: { retryable: true, code: 'rate_limited', minRetryAfterMs: 2000 },
    },
    {
      name: '503',
      inject: () => peer.failNext({ status: 503 }),
      expect: { retryable: true, code: 'http_503' },
    },
    {
      name: '403 blocked',
      inject: () => peer.failNext({ status: 403, code: 'blocked', error: 'blocked' }),
      expect: { retryable: false, code: 'blocked', blocked: true },
    },
    {
      name: '400 invalid recipient',
      inject: () => peer.failNext({ status: 400, code: 'invalid_recipient' }),
      expect: { retryable: false, code: 'invalid_recipient' },
    },
  ],
});
