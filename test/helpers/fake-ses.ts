import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './read-body.ts';

/**
 * A local stand-in for the Amazon SES v2 REST/JSON API (providers.md §8.1–8.2) on 127.0.0.1, as the official SDK
 * calls it: `POST /v2/email/outbound-emails` (SendEmail), `GET /v2/email/account` (GetAccount),
 * `GET /v2/email/identities/{identity}` (GetEmailIdentity). Every request must carry a SigV4 `Authorization` header
 * of the documented shape for service `ses` and the fake's region, dated by `x-amz-date`; when the access key is
 * one the fake knows, the signature itself is recomputed and must match (else 403 SignatureDoesNotMatch, like
 * SES). Errors are SES's: HTTP status, `x-amzn-ErrorType` header and a `{"message"}` body. A sender that is not a
 * verified identity (address or domain) is refused with MessageRejected. Every SendEmail is recorded.
 */

export type SesSend = {
  body: Record<string, any>;
  /** Content.Raw.Data decoded. */
  raw?: Buffer;
  messageId: string;
  accessKeyId: string;
  region: string;
};

export type SesFailure = { type: string; status: number; message: string; headers?: Record<string, string> };

const AUTH_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
/** RFC 3986 encoding, as SigV4 canonical URIs and queries use it. */
const uriEncode = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

class SesError extends Error {
  readonly failure: SesFailure;
  constructor(failure: SesFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

export class FakeSes {
  readonly sends: SesSend[] = [];
  /** Access keys seen on every request, in order (to prove which credentials signed). */
  readonly accessKeys: string[] = [];
  /** Identities verified for sending: addresses and domains. */
  readonly verified = new Set<string>();
  /** Secret keys by access key id: requests signed with these are fully verified. */
  readonly secrets = new Map<string, string>();
  sendingEnabled = true;
  private readonly failures: SesFailure[] = [];
  private server?: Server;
  url = '';
  readonly region: string;

  constructor(region = 'us-east-1') {
    this.region = region;
  }

  /** The next SendEmail call fails with this SES error. */
  failNext(failure: SesFailure): void {
    this.failures.push(failure);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    try {
      this.authenticate(req, body);
      const url = new URL(req.url ?? '/', 'http://fake');
      if (req.method === 'POST' && url.pathname === '/v2/email/outbound-emails') {
        return this.reply(res, 200, this.sendEmail(req, body));
      }
      if (req.method === 'GET' && url.pathname === '/v2/email/account') {
        return this.reply(res, 200, {
          SendingEnabled: this.sendingEnabled,
          ProductionAccessEnabled: true,
          EnforcementStatus: 'HEALTHY',
          SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: this.sends.length },
        });
      }
      const identity = /^\/v2\/email\/identities\/([^/]+)$/.exec(url.pathname)?.[1];
      if (req.method === 'GET' && identity) {
        const name = decodeURIComponent(identity).toLowerCase();
        if (!this.verified.has(name)) {
          throw new SesError({
            type: 'NotFoundException',
            status: 404,
            message: `Email identity <${name}> does not exist.`,
          });
        }
        return this.reply(res, 200, {
          IdentityType: name.includes('@') ? 'EMAIL_ADDRESS' : 'DOMAIN',
          VerifiedForSendingStatus: true,
          VerificationStatus: 'SUCCESS',
          FeedbackForwardingStatus: true,
        });
      }
      throw new SesError({ type: 'NotFoundException', status: 404, message: 'Not Found' });
    } catch (error) {
      const failure =
        error instanceof SesError
          ? error.failure
          : { type: 'InternalFailure', status: 500, message: String((error as Error).message) };
      res.writeHead(failure.status, {
        'content-type': 'application/json',
        'x-amzn-requestid': randomBytes(16).toString('hex'),
        'x-amzn-errortype': `${failure.type}:http://internal.amazon.com/coral/com.amazonaws.sesv2/`,
        ...failure.headers,
      });
      res.end(JSON.stringify({ message: failure.message }));
    }
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-amzn-requestid': randomBytes(16).toString('hex'),
    });
    res.end(JSON.stringify(body));
  }

  /** SigV4: the header's shape, service `ses`, this region, the date; the signature when the key is known. */
  private authenticate(req: IncomingMessage, body: Buffer): void {
    const header = String(req.headers.authorization ?? '');
    const match = AUTH_PATTERN.exec(header);
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    if (!match || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
      throw new SesError({
        type: 'MissingAuthenticationTokenException',
        status: 403,
        message: 'Missing Authentication Token',
      });
    }
    const [, accessKeyId = '', date = '', region, service, signedHeaders = '', signature = ''] = match;
    this.accessKeys.push(accessKeyId);
    if (service !== 'ses' || region !== this.region || !amzDate.startsWith(date)) {
      throw new SesError({
        type: 'InvalidSignatureException',
        status: 403,
        message: `Credential should be scoped to a valid region and service 'ses', not '${region}/${service}'.`,
      });
    }
    const names = signedHeaders.split(';');
    if (!names.includes('host') || !names.includes('x-amz-date')) {
      throw new SesError({
        type: 'InvalidSignatureException',
        status: 403,
        message: 'host and x-amz-date must be signed',
      });
    }
    const secret = this.secrets.get(accessKeyId);
    if (secret === undefined) return;
    const url = new URL(req.url ?? '/', 'http://fake');
    const canonicalUri = url.pathname.split('/').map(uriEncode).join('/');
    const query = [...url.searchParams]
      .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
      .sort()
      .join('&');
    const headerLines = names.map(
      (name) =>
        `${name}:${String(req.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    );
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? sha256(body));
    const canonical = [
      req.method,
      canonicalUri,
      query,
      headerLines.join(''),
      signedHeaders,
      payloadHash,
    ].join('\n');
    const scope = `${date}/${region}/ses/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region ?? ''), 'ses'), 'aws4_request');
    if (createHmac('sha256', key).update(toSign).digest('hex') !== signature) {
      throw new SesError({
        type: 'SignatureDoesNotMatch',
        status: 403,
        message: 'The request signature we calculated does not match the signature you provided.',
      });
    }
  }

  private sendEmail(req: IncomingMessage, body: Buffer): { MessageId: string } {
    let input: Record<string, any>;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      throw new SesError({ type: 'BadRequestException', status: 400, message: 'Invalid JSON body' });
    }
    const content = input.Content ?? {};
    const forms = ['Simple', 'Raw', 'Template'].filter((form) => content[form] !== undefined);
    if (forms.length !== 1) {
      throw new SesError({
        type: 'BadRequestException',
        status: 400,
        message: 'Exactly one of Simple, Raw or Template content must be given.',
      });
    }
    const raw = content.Raw ? Buffer.from(String(content.Raw.Data ?? ''), 'base64') : undefined;
    if (content.Raw && (!raw || raw.length === 0)) {
      throw new SesError({ type: 'BadRequestException', status: 400, message: 'Raw message data is empty.' });
    }
    if (raw && raw.length > 40 * 1024 * 1024) {
      throw new SesError({
        type: 'MessageRejected',
        status: 400,
        message: 'Message length is more than 40 MB.',
      });
    }
    const from = String(input.FromEmailAddress ?? '').toLowerCase();
    const domain = from.split('@').pop() ?? '';
    if (!from || !(this.verified.has(from) || this.verified.has(domain))) {
      throw new SesError({
        type: 'MessageRejected',
        status: 400,
        message: `Email address is not verified. The following identities failed the check in region ${this.region.toUpperCase()}: ${from}`,
      });
    }
    const failure = this.failures.shift();
    if (failure) throw new SesError(failure);
    const messageId = `0100018c${randomBytes(8).toString('hex')}-${randomBytes(4).toString('hex')}-000000`;
    const accessKeyId = this.accessKeys.at(-1) ?? '';
    this.sends.push({ body: input, ...(raw ? { raw } : {}), messageId, accessKeyId, region: this.region });
    void req;
    return { MessageId: messageId };
  }

  /**
   * The sending event SES would publish through a configuration set's SNS destination for a recorded send
   * (documented shape: eventType, mail with tags and headers, and the event object).
   */
  eventFor(
    send: SesSend,
    kind:
      | { type: 'Delivery' }
      | { type: 'Bounce'; bounceType: 'Permanent' | 'Transient'; status?: string; diagnostic?: string }
      | { type: 'Complaint' },
  ): string {
    const destination: string[] = send.body.Destination?.ToAddresses ?? [];
    const tags: Record<string, string[]> = {
      'ses:configuration-set': [String(send.body.ConfigurationSetName ?? '')],
      'ses:source-ip': ['192.0.2.10'],
      'ses:from-domain': [
        String(send.body.FromEmailAddress ?? '')
          .split('@')
          .pop() ?? '',
      ],
      'ses:caller-identity': ['switchboard'],
    };
    for (const tag of send.body.EmailTags ?? []) tags[tag.Name] = [tag.Value];
    const headerBlock = (send.raw?.toString('utf8') ?? '').split(/\r?\n\r?\n/)[0] ?? '';
    const headers = headerBlock
      .replace(/\r?\n[ \t]+/g, ' ')
      .split(/\r?\n/)
      .map((line) => ({
        name: line.slice(0, line.indexOf(':')),
        value: line.slice(line.indexOf(':') + 1).trim(),
      }));
    const now = new Date().toISOString();
    const mail = {
      timestamp: now,
      source: send.body.FromEmailAddress,
      sendingAccountId: '123456789012',
      messageId: send.messageId,
      destination,
      headersTruncated: false,
      headers,
      tags,
    };
    const feedbackId = `0100018c${randomBytes(8).toString('hex')}-000000`;
    if (kind.type === 'Delivery') {
      return JSON.stringify({
        eventType: 'Delivery',
        mail,
        delivery: {
          timestamp: now,
          processingTimeMillis: 546,
          recipients: destination,
          smtpResponse: '250 2.6.0 Message received',
          reportingMTA: 'a8-70.smtp-out.amazonses.com',
        },
      });
    }
    if (kind.type === 'Bounce') {
      return JSON.stringify({
        eventType: 'Bounce',
        mail,
        bounce: {
          bounceType: kind.bounceType,
          bounceSubType: 'General',
          bouncedRecipients: destination.map((emailAddress) => ({
            emailAddress,
            action: 'failed',
            status: kind.status ?? '5.1.1',
            diagnosticCode: kind.diagnostic ?? 'smtp; 550 5.1.1 user unknown',
          })),
          timestamp: now,
          feedbackId,
          reportingMTA: 'dsn; mta.example.com',
        },
      });
    }
    return JSON.stringify({
      eventType: 'Complaint',
      mail,
      complaint: {
        complainedRecipients: destination.map((emailAddress) => ({ emailAddress })),
        timestamp: now,
        feedbackId,
        complaintFeedbackType: 'abuse',
      },
    });
  }
}

/**
 * The notification an SES receipt rule's SNS action publishes for a received mail (providers.md §8.3, §13):
 * `content` is the raw mail (UTF8 or BASE64 as the action's encoding says) with SES's headers prepended.
 */
export function receivedNotification(
  raw: string | Buffer,
  options: { topicArn: string; encoding?: 'UTF8' | 'BASE64'; spf?: string; dkim?: string; dmarc?: string },
): string {
  const encoding = options.encoding ?? 'BASE64';
  const sesId = randomBytes(20).toString('hex');
  const withSesHeaders = Buffer.concat([
    Buffer.from(
      [
        'Return-Path: <sender@customer.example>',
        `Received-SPF: ${(options.spf ?? 'PASS').toLowerCase()} (spfCheck: domain of customer.example)`,
        'X-SES-Spam-Verdict: PASS',
        'X-SES-Virus-Verdict: PASS',
        `X-SES-RECEIPT: ${randomBytes(24).toString('base64')}`,
        '',
      ].join('\r\n'),
    ),
    Buffer.from(raw),
  ]);
  return JSON.stringify({
    notificationType: 'Received',
    mail: {
      timestamp: new Date().toISOString(),
      source: 'sender@customer.example',
      messageId: sesId,
      destination: ['support@shop.example'],
      headersTruncated: false,
    },
    receipt: {
      timestamp: new Date().toISOString(),
      processingTimeMillis: 420,
      recipients: ['support@shop.example'],
      spamVerdict: { status: 'PASS' },
      virusVerdict: { status: 'PASS' },
      spfVerdict: { status: options.spf ?? 'PASS' },
      dkimVerdict: { status: options.dkim ?? 'GRAY' },
      dmarcVerdict: { status: options.dmarc ?? 'GRAY' },
      action: { type: 'SNS', topicArn: options.topicArn, encoding },
    },
    content: encoding === 'BASE64' ? withSesHeaders.toString('base64') : withSesHeaders.toString('utf8'),
  });
}
