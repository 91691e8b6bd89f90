import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './read-body.ts';

/**
 * A fake Twilio on 127.0.0.1 (providers.md §5, §13), serving both the REST host (TWILIO_API_ROOT) and the
 * Messaging v2 host (TWILIO_MESSAGING_API_ROOT):
 * - `POST /2010-04-01/Accounts/{sid}/Messages.json`: Basic auth (20003 otherwise), Twilio's parameter checks and
 *   error bodies (`code`, `message`, `more_info`, `status`), `SM…` / `MM…` sids, 201 + the message resource;
 *   injectable failures (429/20429 with Retry-After, any code), and the 24-hour rule: a free-form send to a
 *   closed window fails with 63016, either in a signed `failed` status callback (Twilio's usual way) or at once.
 * - `GET /2010-04-01/Accounts/{sid}.json` (the account), `GET /v2/Channels/Senders` (WhatsApp senders),
 *   `POST /v2/Indicators/Typing.json`.
 * - Media: `GET …/Messages/{MM}/Media/{ME}` requires Basic auth and answers a 307 to a separate CDN server (like
 *   mms.twiliocdn.com) that serves the bytes without credentials and records every Authorization it is sent.
 * - An emitter that posts form bodies signed (HMAC-SHA1 with the auth token, or HMAC-SHA256 with a shared key)
 *   over exactly the URL it was configured with and exactly the parameters it posts, honouring the URL's
 *   connection-override fragment (`#rc=…&rp=…`; default: one retry, on connection failure only).
 * Every call is recorded.
 */

export type TwilioCall = {
  method: string;
  path: string;
  params: [string, string][];
  status: number;
  authorization?: string;
  at: number;
};
export type TwilioSent = {
  sid: string;
  to: string;
  from: string;
  body?: string;
  mediaUrls: string[];
  contentSid?: string;
  contentVariables?: Record<string, string>;
  statusCallback?: string;
  at: number;
};
export type TwilioFailure = { status: number; code: number; message: string; retryAfter?: number };
export type Delivery = { url: string; status: number; attempt: number; at: number };
export type Params = [string, string][];

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const E164 = /^\+[1-9]\d{1,14}$/;

/** Twilio's request signature, written independently of the code under test (providers.md §5.4). */
export function signTwilio(key: string, url: string, params: Params, algorithm: 'sha1' | 'sha256' = 'sha1') {
  const names = [...new Set(params.map(([name]) => name))].sort();
  let data = url;
  for (const name of names) {
    const values = [...new Set(params.filter(([n]) => n === name).map(([, v]) => v))].sort();
    for (const value of values) data += name + value;
  }
  return createHmac(algorithm, key).update(data, 'utf8').digest('base64');
}

const errorBody = (failure: TwilioFailure) => ({
  code: failure.code,
  message: failure.message,
  more_info: `https://www.twilio.com/docs/errors/${failure.code}`,
  status: failure.status,
});

class TwilioError extends Error {
  readonly failure: TwilioFailure;
  constructor(failure: TwilioFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

export class FakeTwilio {
  readonly accountSid: string;
  authToken: string;
  /** The WhatsApp sender this account has (its `whatsapp:+…` address without the prefix). */
  sender: string;
  readonly calls: TwilioCall[] = [];
  readonly sent: TwilioSent[] = [];
  readonly typing: { messageId: string; at: number }[] = [];
  /** Every request the media CDN received, with the Authorization header it carried (if any). */
  readonly cdnRequests: { path: string; authorization?: string }[] = [];
  readonly deliveries: Delivery[] = [];
  /** How the 24-hour rule shows: a failed status callback with 63016 (default) or a 400 at creation. */
  windowMode: 'status' | 'sync' = 'status';
  /** Media URLs demand Basic auth ("Enforce HTTP Auth on Media URLs"). */
  mediaAuth = true;
  accountStatus = 'active';
  /** Maps a configured public URL to where this process can reach it. */
  deliverTo: (url: string) => string = (url) => url;
  url = '';
  cdnUrl = '';
  private readonly failures: TwilioFailure[] = [];
  private readonly closedWindows = new Set<string>();
  private readonly media = new Map<string, { bytes: Buffer; mime: string }>();
  private server?: Server;
  private cdn?: Server;
  private readonly background = new Set<Promise<unknown>>();

  constructor(options: { sender?: string; accountSid?: string; authToken?: string } = {}) {
    this.sender = options.sender ?? '+14155238886';
    this.accountSid = options.accountSid ?? `AC${hex(16)}`;
    this.authToken = options.authToken ?? hex(16);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.cdn = createServer((req, res) => this.serveCdn(req, res));
    for (const server of [this.server, this.cdn]) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    }
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.cdnUrl = `http://127.0.0.1:${(this.cdn.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.background]);
    for (const server of [this.server, this.cdn]) {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
  }

  /** The next `times` sends fail like this (e.g. 429/20429 with Retry-After, 21211, 20003). */
  failNext(failure: TwilioFailure, times = 1): void {
    for (let n = 0; n < times; n++) this.failures.push(failure);
  }

  /** More than 24 h since `to` (+E164) last wrote: free-form sends fail with 63016; content templates go. */
  closeWindow(to: string): void {
    this.closedWindows.add(to);
  }

  openWindow(to: string): void {
    this.closedWindows.delete(to);
  }

  /** Stores a media file as if a user had sent it; returns its MediaUrl (needs Basic auth, redirects to the CDN). */
  addMedia(bytes: Buffer, mime: string): string {
    const mediaSid = `ME${hex(16)}`;
    this.media.set(mediaSid, { bytes, mime });
    return `${this.url}/2010-04-01/Accounts/${this.accountSid}/Messages/MM${hex(16)}/Media/${mediaSid}`;
  }

  // ---- REST ----

  private authorized(req: IncomingMessage): boolean {
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    return req.headers.authorization === expected;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const params: Params = [...new URLSearchParams(raw.toString('utf8'))];
    const call: TwilioCall = {
      method: req.method ?? 'GET',
      path: url.pathname,
      params,
      status: 0,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      at: Date.now(),
    };
    this.calls.push(call);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    try {
      const media = /^\/2010-04-01\/Accounts\/(AC\w+)\/Messages\/(MM\w+)\/Media\/(ME\w+)$/.exec(url.pathname);
      if (media && req.method === 'GET') {
        if (this.mediaAuth && !this.authorized(req)) throw this.authFailure();
        const file = this.media.get(media[3] as string);
        if (!file)
          throw new TwilioError({
            status: 404,
            code: 20404,
            message: 'The requested resource was not found',
          });
        const location = `${this.cdnUrl}/${media[3]}?Expires=${Date.now() + 4 * 3_600_000}&Signature=${hex(8)}`;
        return answer(307, undefined, { location });
      }
      if (!this.authorized(req)) throw this.authFailure();
      const answered = this.route(req.method ?? 'GET', url, params);
      if (!answered)
        throw new TwilioError({ status: 404, code: 20404, message: 'The requested resource was not found' });
      return answer(answered[0], answered[1]);
    } catch (error) {
      const failure =
        error instanceof TwilioError
          ? error.failure
          : { status: 500, code: 20500, message: 'Internal Server Error' };
      answer(
        failure.status,
        errorBody(failure),
        failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {},
      );
    }
  }

  private authFailure() {
    return new TwilioError({ status: 401, code: 20003, message: 'Authenticate' });
  }

  private route(method: string, url: URL, params: Params): [number, unknown] | undefined {
    const account = `/2010-04-01/Accounts/${this.accountSid}`;
    if (method === 'POST' && url.pathname === `${account}/Messages.json`) return this.create(params);
    if (method === 'GET' && url.pathname === `${account}.json`) {
      return [
        200,
        { sid: this.accountSid, friendly_name: 'Switchboard test', status: this.accountStatus, type: 'Full' },
      ];
    }
    // Another account's resources: Twilio answers as for wrong credentials.
    if (url.pathname.startsWith('/2010-04-01/Accounts/') && !url.pathname.startsWith(account)) {
      throw this.authFailure();
    }
    if (method === 'GET' && url.pathname === '/v2/Channels/Senders') {
      const senders =
        url.searchParams.get('Channel') === 'whatsapp'
          ? [{ sid: `XE${hex(16)}`, sender_id: `whatsapp:${this.sender}`, status: 'ONLINE' }]
          : [];
      return [200, { senders, meta: { page: 0, page_size: senders.length, key: 'senders' } }];
    }
    if (method === 'POST' && url.pathname === '/v2/Indicators/Typing.json') {
      const messageId = params.find(([n]) => n === 'messageId')?.[1] ?? '';
      if (params.find(([n]) => n === 'channel')?.[1] !== 'whatsapp' || !/^(SM|MM)\w{32}$/.test(messageId)) {
        throw new TwilioError({ status: 400, code: 20001, message: 'Invalid channel or messageId' });
      }
      this.typing.push({ messageId, at: Date.now() });
      return [200, { success: true }];
    }
    return undefined;
  }

  /** Messages.json: Twilio's checks in Twilio's order, injected failures, the 24-hour rule, then 201. */
  private create(params: Params): [number, unknown] {
    const one = (name: string) => params.find(([n]) => n === name)?.[1];
    const to = one('To');
    const from = one('From');
    const body = one('Body');
    const mediaUrls = params.filter(([n]) => n === 'MediaUrl').map(([, v]) => v);
    const contentSid = one('ContentSid');
    const variables = one('ContentVariables');
    const fail = (status: number, code: number, message: string) => {
      throw new TwilioError({ status, code, message });
    };
    if (!to) fail(400, 21604, "A 'To' phone number is required.");
    if (!/^whatsapp:/.test(to as string) || !E164.test((to as string).slice(9))) {
      fail(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    }
    if (!from) fail(400, 21603, "A 'From' phone number is required.");
    if (from !== `whatsapp:${this.sender}`) {
      fail(400, 63007, 'Twilio could not find a Channel with the specified From address');
    }
    if (!body && mediaUrls.length === 0 && !contentSid) fail(400, 21602, 'Message body is required.');
    if (body && [...body].length > 1600) {
      fail(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    }
    if (mediaUrls.some((m) => !/^https?:\/\//.test(m))) fail(400, 21620, 'Invalid media URL(s)');
    if (contentSid && !/^HX[0-9a-fA-F]{32}$/.test(contentSid)) fail(400, 21655, 'The ContentSid is Invalid.');
    let contentVariables: Record<string, string> | undefined;
    if (variables !== undefined) {
      try {
        contentVariables = JSON.parse(variables);
      } catch {
        fail(400, 21656, 'The ContentVariables Parameter is invalid.');
      }
    }
    const statusCallback = one('StatusCallback');
    if (statusCallback && new URL(statusCallback).hostname.includes('_')) {
      fail(400, 21609, 'Invalid StatusCallback');
    }
    const failure = this.failures.shift();
    if (failure) throw new TwilioError(failure);
    const recipient = (to as string).slice(9);
    const closed = this.closedWindows.has(recipient) && !contentSid;
    const outsideWindow =
      'Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template.';
    if (closed && this.windowMode === 'sync') fail(400, 63016, outsideWindow);
    const sid = `${mediaUrls.length > 0 ? 'MM' : 'SM'}${hex(16)}`;
    const sent: TwilioSent = {
      sid,
      to: to as string,
      from: from as string,
      ...(body !== undefined ? { body } : {}),
      mediaUrls,
      ...(contentSid ? { contentSid } : {}),
      ...(contentVariables ? { contentVariables } : {}),
      ...(statusCallback ? { statusCallback } : {}),
      at: Date.now(),
    };
    this.sent.push(sent);
    if (closed && statusCallback) {
      this.inBackground(
        this.emitStatus(sid, 'failed', { ErrorCode: '63016', ChannelStatusMessage: outsideWindow }),
      );
    }
    const now = new Date().toUTCString();
    return [
      201,
      {
        sid,
        account_sid: this.accountSid,
        from,
        to,
        body: body ?? '',
        status: 'queued',
        direction: 'outbound-api',
        num_media: String(mediaUrls.length),
        num_segments: '1',
        error_code: null,
        error_message: null,
        date_created: now,
        date_updated: now,
        date_sent: null,
        price: null,
        price_unit: 'USD',
        messaging_service_sid: null,
        api_version: '2010-04-01',
        uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}.json`,
        subresource_uris: { media: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}/Media.json` },
      },
    ];
  }

  private serveCdn(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://cdn').pathname;
    this.cdnRequests.push({
      path,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    const file = this.media.get(path.slice(1));
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.mime, 'content-length': file.bytes.length });
    res.end(file.bytes);
  }

  private inBackground(work: Promise<unknown>) {
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  // ---- webhook emitter ----

  /** Inbound message parameters in the order Twilio sends them (providers.md §5.2). */
  inboundParams(from: string, body: string, extra: Record<string, string> = {}, name = 'Lena'): Params {
    const sid = extra.MessageSid ?? `SM${hex(16)}`;
    const numMedia = extra.NumMedia ?? '0';
    const base: Params = [
      ['SmsMessageSid', sid],
      ['NumMedia', numMedia],
      ['ProfileName', name],
      ['MessageType', extra.MessageType ?? (numMedia !== '0' ? 'image' : 'text')],
      ['SmsSid', sid],
      ['WaId', from.replace(/^\+/, '')],
      ['SmsStatus', 'received'],
      ['Body', body],
      ['To', `whatsapp:${this.sender}`],
      ['NumSegments', '1'],
      ['ReferralNumMedia', '0'],
      ['MessageSid', sid],
      ['AccountSid', this.accountSid],
      ['From', `whatsapp:${from}`],
      ['ApiVersion', '2010-04-01'],
    ];
    const known = new Set(base.map(([n]) => n));
    return [...base, ...Object.entries(extra).filter(([n]) => !known.has(n))];
  }

  /** Status callback parameters for a message this fake sent (providers.md §5.3, §13). */
  statusParams(sid: string, status: string, extra: Record<string, string> = {}): Params {
    const sent = this.sent.find((s) => s.sid === sid);
    const to = sent?.to ?? 'whatsapp:+10000000000';
    const events: Record<string, string> = {
      read: 'READ',
      delivered: 'DELIVERED',
      undelivered: 'UNDELIVERED',
    };
    return [
      ['ChannelPrefix', 'whatsapp'],
      ['ApiVersion', '2010-04-01'],
      ['MessageStatus', status],
      ['SmsSid', sid],
      ['SmsStatus', status],
      ['ChannelInstallSid', `XE${hex(16)}`],
      ['To', to],
      ['From', `whatsapp:${this.sender}`],
      ['MessageSid', sid],
      ['AccountSid', this.accountSid],
      ['ChannelToAddress', `${to.slice(9, 16)}XXXX`],
      ...(events[status] ? ([['EventType', events[status]]] as Params) : []),
      ...Object.entries(extra),
    ];
  }

  /** Posts a status callback to the StatusCallback the message was sent with (or `url`). */
  emitStatus(sid: string, status: string, extra: Record<string, string> = {}, url?: string): Promise<number> {
    const target = url ?? this.sent.find((s) => s.sid === sid)?.statusCallback;
    if (!target) throw new Error(`no StatusCallback for ${sid}`);
    return this.emit(target, this.statusParams(sid, status, extra));
  }

  /**
   * Posts `params` form-encoded to `url` (as configured in the console, fragment included), signed over that
   * URL without its fragment. `sign` overrides the key/algorithm or the signature itself; retries follow the
   * fragment's connection overrides. Resolves to the final HTTP status (0 = no connection).
   */
  async emit(
    url: string,
    params: Params,
    options: {
      key?: string;
      algorithm?: 'sha1' | 'sha256';
      signature?: string | null;
      signedUrl?: string;
      headers?: Record<string, string>;
      /** Runs before each retry (a test ends an outage here). */
      beforeRetry?: (attempt: number) => Promise<void>;
    } = {},
  ): Promise<number> {
    const [configured, fragment = ''] = url.split('#') as [string, string?];
    const overrides = new URLSearchParams(fragment);
    const retries = Math.min(5, Number(overrides.get('rc') ?? 1));
    const policy = (overrides.get('rp') ?? 'ct').split(',');
    const signature =
      options.signature === undefined
        ? signTwilio(
            options.key ?? this.authToken,
            options.signedUrl ?? configured,
            params,
            options.algorithm,
          )
        : options.signature;
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      'i-twilio-idempotency-token': randomBytes(16).toString('hex'),
      ...(signature !== null ? { 'x-twilio-signature': signature } : {}),
      ...options.headers,
    };
    const body = new URLSearchParams(params).toString();
    const target = this.deliverTo(configured);
    let status = 0;
    for (let attempt = 1; attempt <= 1 + retries; attempt++) {
      try {
        const response = await fetch(target, { method: 'POST', headers, body });
        status = response.status;
        await response.arrayBuffer();
      } catch {
        status = 0;
      }
      this.deliveries.push({ url: target, status, attempt, at: Date.now() });
      const retry =
        (status === 0 && (policy.includes('ct') || policy.includes('all'))) ||
        (status >= 500 && (policy.includes('5xx') || policy.includes('all')));
      if (!retry || attempt > retries) return status;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      await options.beforeRetry?.(attempt);
    }
    return status;
  }
}

export function startFakeTwilio(options?: ConstructorParameters<typeof FakeTwilio>[0]): Promise<FakeTwilio> {
  return new FakeTwilio(options).start();
}
