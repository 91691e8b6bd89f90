import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FormField, multipartBody } from './form-body.ts';
import { readBody } from './read-body.ts';

/**
 * A local stand-in for Mailgun (providers.md §7): `POST /v3/{domain}/messages` (multipart or urlencoded) with
 * Basic `api:<key>` (401 plain "Forbidden"), 404 `{"message":"Domain not found: …"}` for another domain, the
 * required from/to/text-or-html fields (400 `{"message":…}`), 200 `{"id":"<…@domain>","message":"Queued. Thank
 * you."}` with an id of its own; `GET /v3/domains/{domain}` with its state. Records sends; emits signed route
 * forwards (parsed, raw `body-mime`) and event webhooks with the HMAC-SHA256 signing key.
 */

export type MailgunSend = { domain: string; fields: Record<string, string[]>; files: string[]; id: string };
type Failure = { status: number; body: string; headers?: Record<string, string> };

const json = (message: string) => JSON.stringify({ message });

export class FakeMailgun {
  readonly sends: MailgunSend[] = [];
  domainState = 'active';
  private readonly failures: Failure[] = [];
  private server?: Server;
  url = '';

  readonly apiKey: string;
  readonly domain: string;
  readonly signingKey: string;

  constructor(apiKey: string, domain: string, signingKey: string) {
    this.apiKey = apiKey;
    this.domain = domain;
    this.signingKey = signingKey;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(json(String(error)));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  failNext(status: number, body = json('injected failure'), headers?: Record<string, string>) {
    this.failures.push({ status, body, ...(headers ? { headers } : {}) });
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    const body = await readBody(req);
    if (req.headers.authorization !== `Basic ${Buffer.from(`api:${this.apiKey}`).toString('base64')}`) {
      res.writeHead(401, { 'content-type': 'text/plain' });
      return res.end('Forbidden');
    }
    const failure = this.failures.shift();
    if (failure) return reply(failure.status, failure.body, failure.headers);
    const domains = /^\/v3\/domains\/([^/]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && domains) {
      if (decodeURIComponent(domains[1] ?? '') !== this.domain) return reply(404, json('Domain not found'));
      return reply(
        200,
        JSON.stringify({
          domain: { name: this.domain, state: this.domainState },
          receiving_dns_records: [],
          sending_dns_records: [],
        }),
      );
    }
    const messages = /^\/v3\/([^/]+)\/messages$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !messages) return reply(404, json('Not Found'));
    const domain = decodeURIComponent(messages[1] ?? '');
    if (domain !== this.domain) return reply(404, json(`Domain not found: ${domain}`));
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(body), {
        headers: { 'content-type': req.headers['content-type'] ?? '' },
      }).formData();
    } catch {
      return reply(400, json('Invalid request body'));
    }
    const fields: Record<string, string[]> = {};
    const files: string[] = [];
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') (fields[name] ??= []).push(value);
      else files.push(`${name}:${value.name}:${value.type}:${value.size}`);
    }
    if (!fields.from?.[0]) return reply(400, json("'from' parameter is missing"));
    if (!fields.to?.[0]) return reply(400, json("'to' parameter is missing"));
    if (!fields.text && !fields.html && !fields.template) {
      return reply(400, json("Need at least one of 'text', 'html' or 'template' parameters specified"));
    }
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    const id = `<${stamp}.${randomBytes(6).toString('hex')}@${this.domain}>`;
    this.sends.push({ domain, fields, files, id });
    return reply(200, JSON.stringify({ id, message: 'Queued. Thank you.' }));
  }

  /** Mailgun's signature fields for one post: fresh token, current timestamp, HMAC with the signing key. */
  signature(options: { key?: string; timestamp?: string; token?: string } = {}) {
    const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
    const token = options.token ?? randomBytes(25).toString('hex');
    const signature = createHmac('sha256', options.key ?? this.signingKey)
      .update(timestamp + token)
      .digest('hex');
    return { timestamp, token, signature };
  }

  /** A route forward(): the fields (as Mailgun names them) plus the signature, multipart or urlencoded. */
  async postRoute(
    url: string,
    fields: Record<string, string>,
    options: { files?: FormField[]; urlencoded?: boolean; signature?: Record<string, string> } = {},
  ) {
    const all = { ...fields, ...(options.signature ?? this.signature()) };
    let body: Buffer;
    let contentType: string;
    if (options.urlencoded) {
      body = Buffer.from(new URLSearchParams(all).toString());
      contentType = 'application/x-www-form-urlencoded';
    } else {
      ({ body, contentType } = multipartBody([
        ...Object.entries(all).map(([name, value]) => ({ name, value })),
        ...(options.files ?? []),
      ]));
    }
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(body),
    });
    return { status: res.status, text: await res.text() };
  }

  /** An event webhook post: `{signature, event-data}` JSON. */
  async postEvent(url: string, eventData: object, signature: Record<string, string> = this.signature()) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ signature, 'event-data': eventData }),
    });
    return { status: res.status, text: await res.text() };
  }
}
