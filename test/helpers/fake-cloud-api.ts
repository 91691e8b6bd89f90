import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './read-body.ts';
import { errorBody, type GraphFailure, GraphError, validateMessages } from './fake-cloud-validate.ts';

/**
 * The WhatsApp Cloud API behaviour the fake Graph API (Meta) and the fake 360dialog share, on 127.0.0.1
 * (providers.md §3, §4): POST /messages with Meta's validation and error bodies, wamid minting, mark-read and
 * typing, media upload / retrieve / download with credential checks, injectable failures (130429, 131056…, with
 * a Retry-After header or a proxy's non-JSON body),
 * an injectable 24-hour rule (131047 as a `failed` status webhook, or synchronously), and a webhook emitter that
 * batches changes, serializes like Meta (non-ASCII and `/` escaped), authenticates each body the provider's way
 * and retries on non-2xx. Every call is recorded. Subclasses add routes and the credential rules.
 */

export type CloudCall = { method: string; path: string; body: any; status: number; at: number };
export type SentMessage = {
  id: string;
  /** The business number it was sent from. */
  phoneNumberId: string;
  to: string;
  type: string;
  body: Record<string, any>;
  at: number;
};
export type Delivery = { url: string; status: number; attempt: number; at: number };
type Media = { bytes: Buffer; mime: string; sha256: string };

/** Meta's JSON: non-ASCII as lowercase \uXXXX and `/` as `\/` (providers.md §3.4, §13). */
export function metaJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
}

const wamid = () => `wamid.HBgL${randomBytes(24).toString('base64url')}`;

/** One `entry[].changes[]` element to emit; `phoneNumberId` defaults to the fake's number. */
export type ChangeSpec = { value: Record<string, unknown>; field?: string; phoneNumberId?: string };

export abstract class FakeCloudApi {
  readonly calls: CloudCall[] = [];
  readonly sent: SentMessage[] = [];
  readonly reads: { messageId: string; typing: boolean; at: number }[] = [];
  readonly deliveries: Delivery[] = [];
  readonly phoneNumberId: string;
  readonly displayPhoneNumber: string;
  readonly wabaId = '102290129340398';
  /** Where webhooks go, with the headers the provider adds; set by tests (Meta) or webhook setup (360dialog). */
  webhook: { url: string; headers: Record<string, string> } = { url: '', headers: {} };
  /** Maps a registered public URL to where this process can reach it. */
  deliverTo: (url: string) => string = (url) => url;
  deliveryAttempts = 5;
  deliveryBackoffMs = 50;
  /** The clock of the `timestamp` fields it writes (a harness moving time forward sets its own). */
  now: () => number = Date.now;
  /** How the 24-hour rule shows: a `failed` status webhook (Meta's usual way) or a synchronous 400. */
  windowMode: 'status' | 'sync' = 'status';
  url = '';
  /** Replaces the download URL GET /{media id} hands out (to test off-host URLs). */
  mediaUrlOverride?: (id: string) => string;
  protected readonly media = new Map<string, Media>();
  private readonly failures: GraphFailure[] = [];
  private readonly closedWindows = new Set<string>();
  private server?: Server;
  private refuseNext = false;
  private readonly background = new Set<Promise<unknown>>();

  constructor(phoneNumberId: string, displayPhoneNumber: string) {
    this.phoneNumberId = phoneNumberId;
    this.displayPhoneNumber = displayPhoneNumber;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.background]);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` sends fail with this Meta error (e.g. 130429 throughput, 131026 undeliverable). */
  failNext(failure: GraphFailure, times = 1): void {
    for (let n = 0; n < times; n++) this.failures.push(failure);
  }

  /** The next request is refused as if its credential were wrong (a revoked key or token). */
  refuseCredentialOnce(): void {
    this.refuseNext = true;
  }

  /** More than 24 h since `to` last wrote: free-form sends to them fail with 131047; templates still go. */
  closeWindow(to: string): void {
    this.closedWindows.add(to);
  }

  openWindow(to: string): void {
    this.closedWindows.delete(to);
  }

  /** Stores a media file as if a user had sent it; returns its media id. */
  addMedia(bytes: Buffer, mime: string): string {
    const id = String(1_000_000_000_000 + this.media.size + Math.floor(Math.random() * 1e9));
    this.media.set(id, { bytes, mime, sha256: createHash('sha256').update(bytes).digest('base64') });
    return id;
  }

  mediaSha256(id: string): string | undefined {
    return this.media.get(id)?.sha256;
  }

  /** Credential check of one request; a failure is answered as-is. */
  protected abstract authorize(req: IncomingMessage): GraphFailure | undefined;
  /** Provider routes (paths without query); undefined = not found. */
  protected abstract route(
    req: IncomingMessage,
    path: string,
    body: Buffer,
  ): Promise<[number, unknown] | undefined> | [number, unknown] | undefined;
  /** Headers that authenticate a webhook body (Meta's signature, or 360dialog's registered headers). */
  protected abstract webhookHeaders(raw: Buffer): Record<string, string>;

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const record = (status: number, parsed: unknown) =>
      this.calls.push({ method: req.method ?? 'GET', path, body: parsed, status, at: Date.now() });
    const denied = this.refuseNext ? this.authorize({ headers: {} } as IncomingMessage) : this.authorize(req);
    this.refuseNext = false;
    if (denied) {
      record(denied.status, undefined);
      return this.answer(res, denied.status, this.authFailureBody(denied));
    }
    try {
      const download = this.download(req, path);
      if (download) {
        record(200, undefined);
        res.writeHead(200, { 'content-type': download.mime, 'content-length': download.bytes.length });
        res.end(download.bytes);
        return;
      }
      const answer = await this.route(req, path, body);
      const parsed = safeJson(body);
      if (!answer) {
        record(404, parsed);
        return this.answer(res, 404, errorBody({ status: 404, code: 100, title: 'Unsupported get request' }));
      }
      record(answer[0], parsed);
      this.answer(res, answer[0], answer[1]);
    } catch (error) {
      const failure =
        error instanceof GraphError
          ? error.failure
          : { status: 500, code: 1, title: 'An unknown error occurred' };
      record(failure.status, safeJson(body));
      if (failure.raw) {
        res.writeHead(failure.status, {
          'content-type': failure.raw.contentType,
          ...(failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}),
        });
        res.end(failure.raw.body);
        return;
      }
      this.answer(
        res,
        failure.status,
        errorBody(failure),
        failure.retryAfter ? { 'retry-after': failure.retryAfter } : {},
      );
    }
  }

  /** The body of a 401; Meta's error object unless the provider says otherwise. */
  protected authFailureBody(failure: GraphFailure): unknown {
    return errorBody(failure);
  }

  private answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  /** Bytes for a media download URL this fake handed out (`/whatsapp_business/attachments/?mid=…`). */
  private download(req: IncomingMessage, path: string): Media | undefined {
    if (req.method !== 'GET' || path !== '/whatsapp_business/attachments/') return undefined;
    const id = new URL(req.url ?? '/', 'http://fake').searchParams.get('mid') ?? '';
    const media = this.media.get(id);
    if (!media) throw new GraphError({ status: 404, code: 100, title: 'Media not found' });
    return media;
  }

  /** The lookaside-style download URL for a media id, on `origin`. */
  protected downloadUrl(origin: string, id: string): string {
    return `${origin}/whatsapp_business/attachments/?mid=${id}&ext=${Date.now()}&hash=${randomBytes(6).toString('hex')}`;
  }

  /** GET /{media id}: Meta's media object (file_size is a string). */
  protected mediaInfo(id: string, origin: string): [number, unknown] {
    const media = this.media.get(id);
    if (!media)
      throw new GraphError({
        status: 400,
        code: 100,
        title: 'Invalid parameter',
        details: 'Unknown media id',
      });
    return [
      200,
      {
        messaging_product: 'whatsapp',
        url: this.mediaUrlOverride?.(id) ?? this.downloadUrl(origin, id),
        mime_type: media.mime,
        sha256: media.sha256,
        file_size: String(media.bytes.length),
        id,
      },
    ];
  }

  /** POST /media (multipart: file, type, messaging_product) → `{id}`. */
  protected async upload(req: IncomingMessage, body: Buffer): Promise<[number, unknown]> {
    const form = await new Request('http://fake/media', {
      method: 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? '' },
      body,
    })
      .formData()
      .catch(() => undefined);
    const file = form?.get('file');
    if (!form || form.get('messaging_product') !== 'whatsapp' || !(file instanceof Blob)) {
      throw new GraphError({
        status: 400,
        code: 100,
        title: 'Invalid parameter',
        details: 'file and messaging_product are required',
      });
    }
    const type = String(form.get('type') ?? file.type);
    if (!type)
      throw new GraphError({
        status: 400,
        code: 100,
        title: 'Invalid parameter',
        details: 'type is required',
      });
    return [200, { id: this.addMedia(Buffer.from(await file.arrayBuffer()), type) }];
  }

  /** POST /messages: validation, injected failures, the 24-hour rule, then a minted wamid. */
  protected messages(body: Buffer, phoneNumberId = this.phoneNumberId): [number, unknown] {
    const request = validateMessages((safeJson(body) ?? {}) as Record<string, unknown>);
    if (request.kind === 'read') {
      this.reads.push({ messageId: request.messageId, typing: request.typing, at: Date.now() });
      return [200, { success: true }];
    }
    const failure = this.failures.shift();
    if (failure) throw new GraphError(failure);
    const closed = this.closedWindows.has(request.to) && request.type !== 'template';
    if (closed && this.windowMode === 'sync') {
      throw new GraphError({
        status: 400,
        code: 131047,
        title: 'Re-engagement message',
        details:
          'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
      });
    }
    const id = wamid();
    this.sent.push({
      id,
      phoneNumberId,
      to: request.to,
      type: request.type,
      body: request.body,
      at: Date.now(),
    });
    if (closed) {
      this.inBackground(
        this.emitChanges([
          {
            value: this.statusValue(id, 'failed', request.to, {
              code: 131047,
              title: 'Re-engagement message',
            }),
          },
        ]),
      );
    }
    const userId = /^[A-Z]{2}\./.test(request.to);
    return [
      200,
      {
        messaging_product: 'whatsapp',
        contacts: [
          userId ? { input: request.to, user_id: request.to } : { input: request.to, wa_id: request.to },
        ],
        messages: [{ id, ...(request.type === 'template' ? { message_status: 'accepted' } : {}) }],
      },
    ];
  }

  private inBackground(work: Promise<unknown>) {
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  // ---- webhook emitter ----

  /** The Cloud API envelope for these changes (one entry, several changes; numbers may differ per change). */
  envelope(changes: ChangeSpec[]): Record<string, unknown> {
    return {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: this.wabaId,
          changes: changes.map((change) => ({
            field: change.field ?? 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: this.displayPhoneNumber,
                phone_number_id: change.phoneNumberId ?? this.phoneNumberId,
              },
              ...change.value,
            },
          })),
        },
      ],
    };
  }

  /** `value` of an inbound message from `from` (a phone's digits, or undefined for a username-only user). */
  messageValue(
    message: Record<string, unknown>,
    sender: { waId?: string; userId?: string; name?: string; username?: string },
  ): Record<string, unknown> {
    const id = (message.id as string | undefined) ?? wamid();
    return {
      contacts: [
        {
          profile: {
            ...(sender.name ? { name: sender.name } : {}),
            ...(sender.username ? { username: sender.username } : {}),
          },
          ...(sender.waId ? { wa_id: sender.waId } : {}),
          ...(sender.userId ? { user_id: sender.userId } : {}),
        },
      ],
      messages: [
        {
          ...(sender.waId ? { from: sender.waId } : {}),
          ...(sender.userId ? { from_user_id: sender.userId } : {}),
          id,
          timestamp: String(Math.floor(this.now() / 1000)),
          ...message,
        },
      ],
    };
  }

  /** `value` of a status update for a message this fake sent. */
  statusValue(
    id: string,
    status: 'sent' | 'delivered' | 'read' | 'played' | 'failed',
    recipient: string,
    error?: { code: number; title: string },
  ): Record<string, unknown> {
    return {
      statuses: [
        {
          id,
          status,
          timestamp: String(Math.floor(this.now() / 1000)),
          ...(/^[A-Z]{2}\./.test(recipient) ? { recipient_user_id: recipient } : { recipient_id: recipient }),
          ...(error
            ? {
                errors: [
                  {
                    code: error.code,
                    title: error.title,
                    message: error.title,
                    error_data: { details: `${error.title} (fake)` },
                  },
                ],
              }
            : { pricing: { pricing_model: 'PMP', category: 'service', type: 'free_customer_service' } }),
        },
      ],
    };
  }

  /** Sends one webhook body (these changes) to the registered URL, retrying on non-2xx; the last status. */
  emitChanges(changes: ChangeSpec[]): Promise<number> {
    return this.emitRaw(Buffer.from(metaJson(this.envelope(changes))));
  }

  /** Sends exact bytes, authenticated the provider's way, with retries; resolves to the final HTTP status. */
  async emitRaw(raw: Buffer, extraHeaders: Record<string, string> = {}): Promise<number> {
    if (!this.webhook.url) throw new Error('no webhook URL registered');
    const url = this.deliverTo(this.webhook.url);
    let status = 0;
    for (let attempt = 1; attempt <= this.deliveryAttempts; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...this.webhookHeaders(raw), ...extraHeaders },
          body: raw,
        });
        status = response.status;
        await response.arrayBuffer();
      } catch {
        status = 0;
      }
      this.deliveries.push({ url, status, attempt, at: Date.now() });
      if (status >= 200 && status < 300) return status;
      await new Promise((resolve) => setTimeout(resolve, this.deliveryBackoffMs * 2 ** (attempt - 1)));
    }
    return status;
  }
}

function safeJson(body: Buffer): any {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
