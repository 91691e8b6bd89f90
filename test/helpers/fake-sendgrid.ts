import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FormField, multipartBody, postWithUrlCredentials } from './form-body.ts';
import { readBody } from './read-body.ts';

/**
 * A local stand-in for SendGrid v3 (providers.md §6): `POST /v3/mail/send` with Bearer auth, the documented
 * validation (personalizations/to, from.email, subject, content with text/plain first, string custom_args,
 * reserved headers) and error body `{"errors":[{message, field, help}]}`, 202 with `X-Message-Id`; a verified
 * sender list (403 otherwise); `GET /v3/scopes`. It records every accepted send, and emits Inbound Parse posts
 * (parsed and raw forms, fields in their own charsets, Basic auth from the URL) and Signed Event Webhook posts
 * (ECDSA P-256 over timestamp + body with its own key pair).
 */

export type SendgridSend = { body: any; messageId: string; authorization: string };
type Failure = { status: number; body: string; headers?: Record<string, string> };

const RESERVED_HEADERS = [
  'x-sg-id', 'x-sg-eid', 'received', 'dkim-signature', 'content-type', 'content-transfer-encoding', 'to', 'from',
  'subject', 'reply-to', 'cc', 'bcc',
]; // prettier-ignore

const errors = (...list: { message: string; field?: string | null }[]) =>
  JSON.stringify({ errors: list.map((e) => ({ message: e.message, field: e.field ?? null, help: null })) });

export class FakeSendgrid {
  readonly apiKey: string;
  readonly sends: SendgridSend[] = [];
  scopes = ['mail.send', 'alerts.read'];
  verifiedSenders = new Set<string>();
  private readonly failures: Failure[] = [];
  private readonly keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  private server?: Server;
  url = '';

  constructor(apiKey: string, verifiedSenders: string[] = []) {
    this.apiKey = apiKey;
    for (const sender of verifiedSenders) this.verifiedSenders.add(sender.toLowerCase());
  }

  /** The Signed Event Webhook verification key as SendGrid shows it: base64 DER SubjectPublicKeyInfo. */
  get publicKey(): string {
    return this.keys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(errors({ message: String(error) }));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next call is answered with this status and body (SendGrid's own shapes). */
  failNext(status: number, body = errors({ message: 'injected failure' }), headers?: Record<string, string>) {
    this.failures.push({ status, body, ...(headers ? { headers } : {}) });
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    const body = await readBody(req);
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${this.apiKey}`) {
      return reply(
        401,
        errors({ message: 'The provided authorization grant is invalid, expired, or revoked' }),
      );
    }
    const failure = this.failures.shift();
    if (failure) return reply(failure.status, failure.body, failure.headers);
    if (req.method === 'GET' && req.url === '/v3/scopes')
      return reply(200, JSON.stringify({ scopes: this.scopes }));
    if (req.method !== 'POST' || req.url !== '/v3/mail/send')
      return reply(404, errors({ message: 'Not found' }));
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return reply(415, errors({ message: 'Content-Type should be application/json.' }));
    }
    let mail: any;
    try {
      mail = JSON.parse(body.toString('utf8'));
    } catch {
      return reply(400, errors({ message: 'Bad Request', field: null }));
    }
    const problem = this.validate(mail);
    if (problem) return reply(problem.status, problem.body);
    const messageId = randomBytes(16).toString('base64url').slice(0, 22);
    this.sends.push({ body: mail, messageId, authorization: auth });
    res.writeHead(202, { 'x-message-id': messageId });
    res.end();
  }

  private validate(mail: any): Failure | undefined {
    const bad = (message: string, field: string) => ({ status: 400, body: errors({ message, field }) });
    const p = mail?.personalizations;
    if (!Array.isArray(p) || p.length === 0)
      return bad('The personalizations field is required.', 'personalizations');
    for (const [i, item] of p.entries()) {
      if (
        !Array.isArray(item?.to) ||
        item.to.length === 0 ||
        !item.to.every((t: any) => /@/.test(t?.email ?? ''))
      ) {
        return bad('The to array is required for all personalization objects.', `personalizations.${i}.to`);
      }
      for (const [key, value] of Object.entries(item.custom_args ?? {})) {
        if (typeof value !== 'string')
          return bad('Custom args values must be strings.', `personalizations.${i}.custom_args.${key}`);
      }
    }
    if (!/@/.test(mail.from?.email ?? '')) return bad('The from object must be provided.', 'from.email');
    if (typeof mail.subject !== 'string' || mail.subject.length === 0)
      return bad('The subject is required.', 'subject');
    const content = mail.content;
    if (
      !Array.isArray(content) ||
      content.length === 0 ||
      content.some((c: any) => !c?.type || typeof c.value !== 'string' || !c.value)
    ) {
      return bad('Unless a valid template_id is provided, the content parameter is required.', 'content');
    }
    const plain = content.findIndex((c: any) => c.type === 'text/plain');
    if (plain > 0)
      return bad('If present, text/plain content must be first, followed by text/html.', 'content');
    for (const [key, value] of Object.entries(mail.custom_args ?? {})) {
      if (typeof value !== 'string') return bad('Custom args values must be strings.', `custom_args.${key}`);
    }
    for (const [name, value] of Object.entries(mail.headers ?? {})) {
      if (RESERVED_HEADERS.includes(name.toLowerCase()))
        return bad(`The header ${name} is reserved.`, 'headers');
      if (typeof value !== 'string') return bad('Headers values must be strings.', 'headers');
    }
    for (const a of mail.attachments ?? []) {
      if (typeof a?.content !== 'string' || typeof a.filename !== 'string') {
        return bad('The attachment content and filename are required.', 'attachments');
      }
    }
    if (this.verifiedSenders.size > 0 && !this.verifiedSenders.has(String(mail.from.email).toLowerCase())) {
      return {
        status: 403,
        body: errors({
          message:
            'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.',
          field: 'from',
        }),
      };
    }
    return undefined;
  }

  /** Inbound Parse: posts the fields (bytes as given) to `url`, whose userinfo becomes Basic auth. */
  postParse(url: string, fields: FormField[]) {
    const { body, contentType } = multipartBody(fields);
    return postWithUrlCredentials(url, { body, headers: { 'content-type': contentType } });
  }

  /** A Signed Event Webhook request for `events`: body as SendGrid sends it (ends in CRLF), signature headers. */
  signedEvents(events: object[], timestamp = String(Math.floor(Date.now() / 1000))) {
    const body = `${JSON.stringify(events)}\r\n`;
    const signature = sign('sha256', Buffer.from(timestamp + body), this.keys.privateKey).toString('base64');
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'x-twilio-email-event-webhook-signature': signature,
        'x-twilio-email-event-webhook-timestamp': timestamp,
      },
    };
  }

  /** Posts signed delivery events to `url`. */
  async postEvents(url: string, events: object[]) {
    const { body, headers } = this.signedEvents(events);
    const res = await fetch(url, { method: 'POST', headers, body });
    return { status: res.status, text: await res.text() };
  }
}
