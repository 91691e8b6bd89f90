import type { IncomingMessage } from 'node:http';
import { signBody } from '../../src/channels/meta/verify.ts';
import { FakeCloudApi } from './fake-cloud-api.ts';
import type { GraphFailure } from './fake-cloud-validate.ts';

/**
 * A fake Meta Graph API for the WhatsApp Cloud API (providers.md §3.7) on 127.0.0.1: Bearer-token auth (190
 * otherwise) on every path, `/{version}/{phone number id}/messages|media`, `/{version}/{media id}` (GET →
 * a download URL on this host, DELETE), the phone number node (test) and per-number webhook overrides. Webhooks
 * are signed with the App Secret over exactly the bytes sent.
 */
export class FakeGraph extends FakeCloudApi {
  accessToken: string;
  appSecret: string;
  verifiedName = 'Switchboard Test';
  qualityRating = 'GREEN';
  /** Business numbers this app serves: phone number id → display number. */
  readonly numbers = new Map<string, string>();
  /** Per-number callback overrides registered through the API. */
  readonly overrides: { phoneNumberId: string; url: string; verifyToken: string }[] = [];

  constructor(options: {
    accessToken: string;
    appSecret: string;
    phoneNumberId: string;
    displayPhoneNumber: string;
  }) {
    super(options.phoneNumberId, options.displayPhoneNumber);
    this.accessToken = options.accessToken;
    this.appSecret = options.appSecret;
    this.numbers.set(options.phoneNumberId, options.displayPhoneNumber);
  }

  /** Another business number on the same app (one Meta app usually serves several). */
  addNumber(phoneNumberId: string, displayPhoneNumber: string): void {
    this.numbers.set(phoneNumberId, displayPhoneNumber);
  }

  protected authorize(req: IncomingMessage): GraphFailure | undefined {
    if (req.headers.authorization === `Bearer ${this.accessToken}`) return undefined;
    return {
      status: 401,
      code: 190,
      title: 'Invalid OAuth access token - Cannot parse access token',
    };
  }

  protected webhookHeaders(raw: Buffer): Record<string, string> {
    return { 'x-hub-signature-256': signBody(raw, this.appSecret) };
  }

  protected route(req: IncomingMessage, path: string, body: Buffer) {
    const parts = path.split('/').filter(Boolean);
    const [version, node, edge] = parts;
    if (!version || !/^v\d{1,3}\.\d$/.test(version) || !node || parts.length > 3) return undefined;
    if (this.numbers.has(node)) {
      if (edge === 'messages' && req.method === 'POST') return this.messages(body, node);
      if (edge === 'media' && req.method === 'POST') return this.upload(req, body);
      if (edge) return undefined;
      if (req.method === 'GET') return this.phoneNumber(node);
      if (req.method === 'POST') return this.override(node, body);
      return undefined;
    }
    if (edge) return undefined;
    if (req.method === 'GET') return this.mediaInfo(node, this.url);
    if (req.method === 'DELETE' && this.media.delete(node))
      return [200, { success: true }] as [number, unknown];
    return undefined;
  }

  private phoneNumber(id: string): [number, unknown] {
    return [
      200,
      {
        display_phone_number: this.numbers.get(id),
        verified_name: this.verifiedName,
        quality_rating: this.qualityRating,
        id,
      },
    ];
  }

  private override(phoneNumberId: string, body: Buffer): [number, unknown] {
    const config = JSON.parse(body.toString('utf8') || '{}').webhook_configuration ?? {};
    if (typeof config.override_callback_uri !== 'string' || typeof config.verify_token !== 'string') {
      return [400, { error: { message: '(#100) Invalid parameter', type: 'OAuthException', code: 100 } }];
    }
    this.overrides.push({
      phoneNumberId,
      url: config.override_callback_uri,
      verifyToken: config.verify_token,
    });
    return [200, { success: true }];
  }
}

/** Starts a fake Graph API on 127.0.0.1. */
export function startFakeGraph(options: ConstructorParameters<typeof FakeGraph>[0]): Promise<FakeGraph> {
  return new FakeGraph(options).start();
}
