import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './read-body.ts';

/**
 * A faithful local stand-in for the Telegram Bot API (providers.md §2): real HTTP on 127.0.0.1, routes
 * `/bot<token>/<method>` (GET or POST, method name case-insensitive; query, JSON and urlencoded bodies),
 * Telegram's `{ok, result | error_code, description, parameters}` envelope with the HTTP status equal to
 * error_code, the documented parameter rules, injectable failures, and webhook delivery with the secret
 * header and retries on non-2xx. Every call is recorded.
 */

/** One Bot API call; `status` is the HTTP status it was answered with. */
export type FakeCall = { method: string; params: Record<string, any>; at: number; status?: number };
type Failure = { error_code: number; description: string; parameters?: Record<string, unknown> };
type Webhook = {
  url: string;
  secret?: string;
  maxConnections: number;
  allowedUpdates?: string[];
  pending: number;
  lastErrorDate?: number;
  lastErrorMessage?: string;
};

const ALLOWED_TAGS = new Set([
  'b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'code', 'pre',
  'blockquote', 'tg-emoji', 'tg-time',
]); // prettier-ignore
const CHAT_ACTIONS = new Set([
  'typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice',
  'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note',
]); // prettier-ignore

class ApiFailure extends Error {
  readonly failure: Failure;
  constructor(failure: Failure) {
    super(failure.description);
    this.failure = failure;
  }
}
const bad = (description: string) =>
  new ApiFailure({ error_code: 400, description: `Bad Request: ${description}` });

/**
 * Parses Telegram HTML the way parse_mode HTML does: only the supported tags, properly nested; `<` and `&`
 * only as tags or entities (`&lt; &gt; &amp; &quot;` and numeric). Returns the visible text.
 */
export function parseTelegramHtml(html: string): string {
  const stack: string[] = [];
  let text = '';
  let i = 0;
  const fail = (why: string): never => {
    throw bad(`can't parse entities: ${why} at byte offset ${Buffer.byteLength(html.slice(0, i))}`);
  };
  while (i < html.length) {
    const ch = html[i] as string;
    if (ch === '<') {
      const end = html.indexOf('>', i);
      if (end < 0) fail('Unclosed start tag');
      const inner = html.slice(i + 1, end);
      const closing = inner.startsWith('/');
      const name = /^\/?([a-z-]+)/i.exec(inner)?.[1]?.toLowerCase();
      if (!name) fail('Unsupported start tag ""');
      if (!ALLOWED_TAGS.has(name as string)) fail(`Unsupported start tag "${name}"`);
      if (closing) {
        if (stack.pop() !== name) fail(`Can't find end tag corresponding to start tag "${name}"`);
      } else {
        if (name === 'a' && !/\shref="[^"]*"/.test(inner)) fail('Can\'t find "href" attribute');
        if (name === 'span' && !/class="tg-spoiler"/.test(inner))
          fail('Tag "span" must have class "tg-spoiler"');
        stack.push(name as string);
      }
      i = end + 1;
    } else if (ch === '&') {
      const m = /^&(lt|gt|amp|quot|#\d{1,7}|#x[\da-f]{1,6});/i.exec(html.slice(i, i + 12));
      if (!m) fail('Character entity expected');
      const entity = (m as RegExpExecArray)[1]?.toLowerCase() as string;
      text +=
        { lt: '<', gt: '>', amp: '&', quot: '"' }[entity] ??
        String.fromCodePoint(
          entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : Number(entity.slice(1)),
        );
      i += (m as RegExpExecArray)[0].length;
    } else {
      text += ch;
      i += 1;
    }
  }
  if (stack.length) fail(`Can't find end tag corresponding to start tag "${stack.at(-1)}"`);
  return text;
}

export class FakeTelegram {
  readonly token: string;
  readonly username: string;
  /** Every Bot API call with a valid token, in arrival order. */
  readonly calls: FakeCall[] = [];
  /** Every webhook delivery attempt: status 0 = connection failed. */
  readonly deliveries: { updateId: number; status: number; at: number }[] = [];
  webhook: Webhook = { url: '', maxConnections: 40, pending: 0 };
  /** Telegram only accepts HTTPS webhook URLs; tests may switch the rule off. */
  requireHttps = true;
  /** Maps the registered (public HTTPS) webhook URL to where this process can reach it. */
  deliverTo: (url: string) => string = (url) => url;
  /** Delivery attempts per update before giving up, and the first backoff (doubles each time). */
  deliveryAttempts = 5;
  deliveryBackoffMs = 50;
  private server?: Server;
  private readonly failures = new Map<string, Failure[]>();
  private readonly blockedChats = new Set<string>();
  private readonly migratedChats = new Map<string, string>();
  private readonly messageIds = new Map<string, number>();
  private readonly openCallbacks = new Set<string>();
  private readonly files = new Map<string, Buffer>();
  private nextUpdate = 700_000_000;
  private nextCallback = 1;
  url = '';

  constructor(token: string, username: string) {
    this.token = token;
    this.username = username;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` calls of `method` fail with this Telegram error. */
  failNext(method: string, failure: Failure, times = 1): void {
    const list = this.failures.get(method.toLowerCase()) ?? [];
    for (let n = 0; n < times; n++) list.push(failure);
    this.failures.set(method.toLowerCase(), list);
  }

  /** The next call of `method` answers 429 with parameters.retry_after. */
  rateLimitNext(method: string, retryAfter: number): void {
    this.failNext(method, {
      error_code: 429,
      description: `Too Many Requests: retry after ${retryAfter}`,
      parameters: { retry_after: retryAfter },
    });
  }

  /** The user behind this private chat blocked the bot: sends to it answer 403. */
  block(chatId: string | number): void {
    this.blockedChats.add(String(chatId));
  }

  /** The group `oldId` was upgraded to supergroup `newId`: sends to the old id answer 400 with migrate_to_chat_id. */
  migrateChat(oldId: string | number, newId: string | number): void {
    this.migratedChats.set(String(oldId), String(newId));
  }

  /** A file getFile can resolve and the file endpoint can serve. */
  addFile(fileId: string, bytes: Buffer): void {
    this.files.set(fileId, bytes);
  }

  callsOf(method: string, chatId?: string | number): FakeCall[] {
    return this.calls.filter(
      (c) =>
        c.method === method.toLowerCase() &&
        (chatId === undefined || String(c.params.chat_id) === String(chatId)),
    );
  }

  newUpdateId(): number {
    return ++this.nextUpdate;
  }

  /** A private-chat text message update from `user`. */
  textUpdate(user: { id: number; first_name?: string; username?: string }, text: string, extra: object = {}) {
    const update_id = this.newUpdateId();
    return {
      update_id,
      message: {
        message_id: update_id,
        from: { is_bot: false, first_name: 'User', ...user },
        chat: { id: user.id, type: 'private', first_name: user.first_name ?? 'User' },
        date: Math.floor(Date.now() / 1000),
        text,
        ...extra,
      },
    };
  }

  /** A callback_query update (a pressed inline button); its id becomes answerable. */
  callbackUpdate(user: { id: number; first_name?: string }, data: string) {
    const id = String(this.nextCallback++);
    this.openCallbacks.add(id);
    return {
      update_id: this.newUpdateId(),
      callback_query: {
        id,
        from: { is_bot: false, first_name: 'User', ...user },
        message: { message_id: 1, chat: { id: user.id, type: 'private' }, date: 0, text: 'Choose' },
        chat_instance: '-1',
        data,
      },
    };
  }

  /**
   * POSTs an update to the registered webhook with the secret header, retrying non-2xx answers with
   * backoff as Telegram does; pending_update_count and last_error_* follow. Resolves with the last status.
   */
  async deliver(update: object, options: { secret?: string | null } = {}): Promise<number> {
    if (!this.webhook.url) throw new Error('no webhook set');
    const secret = options.secret === undefined ? this.webhook.secret : options.secret;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (secret) headers['x-telegram-bot-api-secret-token'] = secret;
    this.webhook.pending += 1;
    let status = 0;
    try {
      for (let attempt = 0; attempt < this.deliveryAttempts; attempt++) {
        try {
          const res = await fetch(this.deliverTo(this.webhook.url), {
            method: 'POST',
            headers,
            body: JSON.stringify(update),
          });
          status = res.status;
          await res.arrayBuffer();
        } catch {
          status = 0;
        }
        this.deliveries.push({
          updateId: (update as { update_id: number }).update_id,
          status,
          at: Date.now(),
        });
        if (status >= 200 && status < 300) return status;
        this.webhook.lastErrorDate = Math.floor(Date.now() / 1000);
        this.webhook.lastErrorMessage = status
          ? `Wrong response from the webhook: ${status}`
          : 'Connection refused';
        if (attempt + 1 < this.deliveryAttempts) {
          await new Promise((r) => setTimeout(r, this.deliveryBackoffMs * 2 ** attempt));
        }
      }
      return status;
    } finally {
      this.webhook.pending -= 1;
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const reply = (status: number, payload: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload));
    };
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (file) {
      const bytes =
        file[1] === this.token ? this.files.get(decodeURIComponent(file[2] as string)) : undefined;
      if (bytes) reply(200, bytes, 'application/octet-stream');
      else reply(404, { ok: false, error_code: 404, description: 'Not Found' });
      return;
    }
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
    if (match[1] !== this.token)
      return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = (match[2] as string).toLowerCase();
    let params: Record<string, any>;
    try {
      params = this.params(url, req.headers['content-type'] ?? '', body);
    } catch {
      return reply(400, { ok: false, error_code: 400, description: "Bad Request: can't parse JSON" });
    }
    const call: FakeCall = { method, params, at: Date.now() };
    this.calls.push(call);
    try {
      const injected = this.failures.get(method)?.shift();
      if (injected) throw new ApiFailure(injected);
      const result = this.run(method, params);
      call.status = 200;
      reply(200, { ok: true, result });
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      call.status = error.failure.error_code;
      reply(error.failure.error_code, { ok: false, ...error.failure });
    }
  }

  /** Query string, then the body (JSON or urlencoded); JSON-string fields of form bodies are decoded. */
  private params(url: URL, type: string, body: Buffer): Record<string, any> {
    const params: Record<string, any> = Object.fromEntries(url.searchParams);
    if (type.includes('application/json') && body.length) Object.assign(params, JSON.parse(String(body)));
    else if (type.includes('application/x-www-form-urlencoded')) {
      Object.assign(params, Object.fromEntries(new URLSearchParams(String(body))));
    }
    for (const key of ['reply_markup', 'allowed_updates', 'entities']) {
      if (typeof params[key] === 'string') params[key] = JSON.parse(params[key]);
    }
    return params;
  }

  private checkChat(params: Record<string, any>): string {
    if (params.chat_id === undefined || params.chat_id === '') throw bad('chat_id is empty');
    const chat = String(params.chat_id);
    const migrated = this.migratedChats.get(chat);
    if (migrated) {
      throw new ApiFailure({
        error_code: 400,
        description: 'Bad Request: group chat was upgraded to a supergroup chat',
        parameters: { migrate_to_chat_id: Number(migrated) },
      });
    }
    if (this.blockedChats.has(chat)) {
      throw new ApiFailure({ error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    }
    return chat;
  }

  private checkMarkup(markup: any): void {
    if (markup === undefined) return;
    for (const row of markup?.inline_keyboard ?? []) {
      for (const button of row) {
        const actions = ['url', 'callback_data', 'web_app', 'login_url', 'switch_inline_query', 'copy_text'];
        if (!button.text || actions.filter((a) => button[a] !== undefined).length !== 1) {
          throw bad("can't parse inline keyboard button: exactly one action field is required");
        }
        const size = button.callback_data === undefined ? 1 : Buffer.byteLength(String(button.callback_data));
        if (size < 1 || size > 64) throw bad('BUTTON_DATA_INVALID');
      }
    }
  }

  /** message_thread_id: a forum topic's id (a positive integer); the sent message is in that topic. */
  private topic(p: Record<string, any>): object {
    if (p.message_thread_id === undefined) return {};
    const id = Number(p.message_thread_id);
    if (!Number.isInteger(id) || id < 1) throw bad('message thread not found');
    return { message_thread_id: id, is_topic_message: true };
  }

  private visible(text: string, parseMode: unknown): string {
    return parseMode === 'HTML' ? parseTelegramHtml(text) : text;
  }

  private message(chat: string, extra: object) {
    const id = (this.messageIds.get(chat) ?? 0) + 1;
    this.messageIds.set(chat, id);
    return {
      message_id: id,
      chat: {
        id: Number(chat),
        type: chat.startsWith('-100') ? 'supergroup' : chat.startsWith('-') ? 'group' : 'private',
      },
      date: Math.floor(Date.now() / 1000),
      ...extra,
    };
  }

  private run(method: string, p: Record<string, any>): unknown {
    switch (method) {
      case 'getme':
        return {
          id: Number(this.token.split(':')[0]),
          is_bot: true,
          first_name: 'Fake bot',
          username: this.username,
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        };
      case 'setwebhook': {
        const url = String(p.url ?? '');
        if (url && this.requireHttps && !url.startsWith('https://')) {
          throw bad('bad webhook: An HTTPS URL must be provided for webhook');
        }
        if (p.secret_token !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(String(p.secret_token))) {
          throw bad('bad webhook: secret token contains unallowed characters');
        }
        const max = p.max_connections === undefined ? 40 : Number(p.max_connections);
        if (!Number.isInteger(max) || max < 1 || max > 100)
          throw bad('bad webhook: max_connections must be 1-100');
        this.webhook = {
          url,
          ...(p.secret_token ? { secret: String(p.secret_token) } : {}),
          maxConnections: max,
          ...(Array.isArray(p.allowed_updates)
            ? { allowedUpdates: p.allowed_updates }
            : this.webhook.allowedUpdates
              ? { allowedUpdates: this.webhook.allowedUpdates }
              : {}),
          pending: 0,
        };
        return true;
      }
      case 'deletewebhook':
        this.webhook = { url: '', maxConnections: 40, pending: 0 };
        return true;
      case 'getwebhookinfo': {
        const w = this.webhook;
        return {
          url: w.url,
          has_custom_certificate: false,
          pending_update_count: w.pending,
          ...(w.lastErrorDate
            ? { last_error_date: w.lastErrorDate, last_error_message: w.lastErrorMessage }
            : {}),
          ...(w.url ? { max_connections: w.maxConnections } : {}),
          ...(w.url && w.allowedUpdates ? { allowed_updates: w.allowedUpdates } : {}),
        };
      }
      case 'sendmessage': {
        const chat = this.checkChat(p);
        const text = this.visible(String(p.text ?? ''), p.parse_mode);
        if (text.trim() === '') throw bad('message text is empty');
        if (text.length > 4096) throw bad('message is too long');
        this.checkMarkup(p.reply_markup);
        return this.message(chat, { text, ...this.topic(p) });
      }
      case 'sendchataction':
        this.checkChat(p);
        if (!CHAT_ACTIONS.has(String(p.action))) throw bad('wrong parameter action in request');
        return true;
      case 'sendphoto':
      case 'senddocument': {
        const chat = this.checkChat(p);
        const field = method === 'sendphoto' ? 'photo' : 'document';
        if (typeof p[field] !== 'string' || !p[field]) throw bad(`there is no ${field} in the request`);
        const caption = this.visible(String(p.caption ?? ''), p.parse_mode);
        if (caption.length > 1024) throw bad('message caption is too long');
        this.checkMarkup(p.reply_markup);
        return this.message(chat, { [field]: { file_id: `file-${field}`, source: p[field] }, caption });
      }
      case 'answercallbackquery': {
        const id = String(p.callback_query_id ?? '');
        if (!this.openCallbacks.delete(id)) {
          throw bad('query is too old and response timeout expired or query ID is invalid');
        }
        if (String(p.text ?? '').length > 200) throw bad('text is too long');
        return true;
      }
      case 'getfile': {
        const bytes = this.files.get(String(p.file_id ?? ''));
        if (!bytes) throw bad('invalid file_id');
        return {
          file_id: p.file_id,
          file_unique_id: `u-${p.file_id}`,
          file_size: bytes.length,
          file_path: p.file_id,
        };
      }
      default:
        throw new ApiFailure({ error_code: 404, description: 'Not Found: method not found' });
    }
  }
}

/** Starts a fake Bot API server that knows one bot. */
export async function startFakeTelegram(token: string, username: string): Promise<FakeTelegram> {
  return new FakeTelegram(token, username).start();
}
