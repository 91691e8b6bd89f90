import type { IncomingMessage } from 'node:http';
import { FakeCloudApi } from './fake-cloud-api.ts';
import type { GraphFailure } from './fake-cloud-validate.ts';

/**
 * A fake 360dialog (hosted Cloud API, providers.md §4) on 127.0.0.1: `D360-API-KEY` on every request (401
 * `Invalid api_key` otherwise), `/messages`, `/media`, `/{media id}` returning Meta's lookaside URL (the client
 * swaps the host for 360dialog's own), the download path on this host, and `/v1/configs/webhook` (POST url +
 * headers; GET). Webhooks carry Meta's envelope unsigned, with the registered headers.
 */
export class Fake360Dialog extends FakeCloudApi {
  apiKey: string;

  constructor(options: { apiKey: string; phoneNumberId: string; displayPhoneNumber: string }) {
    super(options.phoneNumberId, options.displayPhoneNumber);
    this.apiKey = options.apiKey;
  }

  protected authorize(req: IncomingMessage): GraphFailure | undefined {
    return req.headers['d360-api-key'] === this.apiKey
      ? undefined
      : { status: 401, code: 0, title: 'Invalid api_key' };
  }

  protected override authFailureBody(): unknown {
    return { meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } };
  }

  protected webhookHeaders(): Record<string, string> {
    return { ...this.webhook.headers };
  }

  protected route(req: IncomingMessage, path: string, body: Buffer) {
    if (path === '/messages' && req.method === 'POST') return this.messages(body);
    if (path === '/media' && req.method === 'POST') return this.upload(req, body);
    if (path === '/v1/configs/webhook') return this.webhookConfig(req, body);
    const id = /^\/(\d{1,30})$/.exec(path)?.[1];
    if (!id) return undefined;
    if (req.method === 'GET') return this.mediaInfo(id, 'https://lookaside.fbsbx.com');
    if (req.method === 'DELETE' && this.media.delete(id))
      return [200, { success: true }] as [number, unknown];
    return undefined;
  }

  /** 360dialog refuses URLs with an explicit port or an underscore in the host (providers.md §4). */
  private webhookConfig(req: IncomingMessage, body: Buffer): [number, unknown] {
    if (req.method === 'GET') return [200, { url: this.webhook.url }];
    if (req.method !== 'POST') return [405, { error: 'Method not allowed' }];
    const config = JSON.parse(body.toString('utf8') || '{}') as { url?: unknown; headers?: unknown };
    let url: URL;
    try {
      url = new URL(String(config.url));
    } catch {
      return [400, { error: 'url is not a valid URL' }];
    }
    if (url.protocol !== 'https:' || url.port || url.hostname.includes('_')) {
      return [400, { error: 'url must be https, without a port or underscores in the host' }];
    }
    const headers = (config.headers ?? {}) as Record<string, string>;
    this.webhook = { url: url.toString(), headers: { ...headers } };
    return [200, { url: this.webhook.url }];
  }
}

/** Starts a fake 360dialog on 127.0.0.1. */
export function startFake360Dialog(
  options: ConstructorParameters<typeof Fake360Dialog>[0],
): Promise<Fake360Dialog> {
  return new Fake360Dialog(options).start();
}
