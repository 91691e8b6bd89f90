import { createSign, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { Agent, fetch as undiciFetch } from 'undici';
import { snsStringToSign, type SnsMessage } from '../../src/channels/ses/sns.ts';

/**
 * A local stand-in for Amazon SNS's HTTPS side (providers.md §8.4): an HTTPS server on 127.0.0.1 with a
 * throwaway TLS certificate (trusted only through `fetch`, which pins it as the CA), serving the signing
 * certificate as a `.pem` and answering `?Action=ConfirmSubscription&TopicArn=…&Token=…` (recorded). It builds
 * SNS messages signed like SNS (SignatureVersion 1 = RSA-SHA1, 2 = RSA-SHA256, the documented key sets) and
 * delivers them as SNS does: POST, `text/plain; charset=UTF-8`, the `x-amz-sns-*` headers.
 * Tests set AWS_SNS_TRUSTED_HOSTS=127.0.0.1:* so these URLs pass the host rule; `localhost:<port>` (the same
 * server) stays untrusted and serves as "a certificate from another host".
 */
export type Confirmation = { topicArn: string; token: string };

export class FakeSns {
  readonly confirmations: Confirmation[] = [];
  /** Requests for the signing certificate (to prove caching). */
  certFetches = 0;
  port = 0;
  /** A fetch that trusts this server's TLS certificate (and works for plain http too). */
  fetch: typeof fetch = fetch;
  private server?: Server;
  private agent?: Agent;
  private signingKey = '';
  private signingCert = '';
  /** Another key pair's private key: signatures that do not match the served certificate. */
  private rogueKey = '';
  readonly certPath = `/SimpleNotificationService-${randomBytes(16).toString('hex')}.pem`;

  async start(): Promise<this> {
    const tls = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 7, ip: '127.0.0.1' },
            { type: 2, value: 'localhost' },
          ],
        },
      ],
    });
    const signing = await generate([{ name: 'commonName', value: 'sns.us-east-1.amazonaws.com' }], {
      keySize: 2048,
      algorithm: 'sha256',
    });
    const rogue = await generate([{ name: 'commonName', value: 'rogue.example' }], { keySize: 2048 });
    this.signingKey = signing.private;
    this.signingCert = signing.cert;
    this.rogueKey = rogue.private;
    this.server = createServer({ key: tls.private, cert: tls.cert }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://fake');
      if (req.method === 'GET' && url.pathname.endsWith('.pem')) {
        this.certFetches += 1;
        res.writeHead(200, { 'content-type': 'application/x-pem-file' });
        return res.end(this.signingCert);
      }
      if (req.method === 'GET' && url.searchParams.get('Action') === 'ConfirmSubscription') {
        const topicArn = url.searchParams.get('TopicArn') ?? '';
        const token = url.searchParams.get('Token') ?? '';
        if (!topicArn || !token) {
          res.writeHead(400, { 'content-type': 'text/xml' });
          return res.end('<ErrorResponse><Error><Code>InvalidParameter</Code></Error></ErrorResponse>');
        }
        this.confirmations.push({ topicArn, token });
        res.writeHead(200, { 'content-type': 'text/xml' });
        return res.end(
          `<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>${topicArn}:${randomUUID()}</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>`,
        );
      }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.agent = new Agent({ connect: { ca: tls.cert } });
    const agent = this.agent;
    this.fetch = ((input: string | URL | Request, init?: RequestInit) =>
      undiciFetch(input as never, { ...(init as object), dispatcher: agent } as never)) as typeof fetch;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.agent?.close();
  }

  /** The trusted origin (host pattern `127.0.0.1:*`) and an untrusted one serving the same certificate. */
  get origin(): string {
    return `https://127.0.0.1:${this.port}`;
  }
  get untrustedOrigin(): string {
    return `https://localhost:${this.port}`;
  }

  /**
   * A signed SNS message. `version` picks SHA1 (1) or SHA256 (2); `rogue` signs with a key that does not
   * match the certificate; `certUrl` overrides SigningCertURL (signed with the real key all the same).
   */
  message(
    fields: Pick<SnsMessage, 'Type' | 'TopicArn' | 'Message'> & Partial<SnsMessage>,
    options: { version?: '1' | '2'; rogue?: boolean; certUrl?: string; timestamp?: Date } = {},
  ): SnsMessage {
    const messageId = randomUUID();
    const token = randomBytes(32).toString('hex');
    const confirmation = fields.Type !== 'Notification';
    const base: SnsMessage = {
      MessageId: messageId,
      Timestamp: (options.timestamp ?? new Date()).toISOString(),
      SignatureVersion: options.version ?? '1',
      Signature: '',
      SigningCertURL: options.certUrl ?? `${this.origin}${this.certPath}`,
      ...(confirmation
        ? {
            Token: token,
            SubscribeURL: `${this.origin}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(fields.TopicArn)}&Token=${token}`,
          }
        : {
            UnsubscribeURL: `${this.origin}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(`${fields.TopicArn}:${messageId}`)}`,
          }),
      ...fields,
    };
    const signer = createSign(base.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
    signer.update(snsStringToSign(base), 'utf8');
    base.Signature = signer.sign(options.rogue ? this.rogueKey : this.signingKey, 'base64');
    return base;
  }

  /** Posts a message to a subscriber endpoint the way SNS delivers it. */
  async deliver(url: string, message: SnsMessage | string): Promise<{ status: number; body: any }> {
    const parsed = typeof message === 'string' ? (JSON.parse(message) as SnsMessage) : message;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain; charset=UTF-8',
        'x-amz-sns-message-type': parsed.Type,
        'x-amz-sns-message-id': parsed.MessageId,
        'x-amz-sns-topic-arn': parsed.TopicArn,
        ...(parsed.Type === 'Notification'
          ? { 'x-amz-sns-subscription-arn': `${parsed.TopicArn}:${randomUUID()}` }
          : {}),
        'user-agent': 'Amazon Simple Notification Service Agent',
      },
      body: typeof message === 'string' ? message : JSON.stringify(message),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, body };
  }
}
