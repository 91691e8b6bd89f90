import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export type ReceivedMail = { from: string; to: string[]; raw: Buffer; user?: string };

/**
 * A real SMTP server (smtp-server) on 127.0.0.1 with STARTTLS (throwaway certificate, its PEM written to
 * `caFile` for EMAIL_TLS_CA_FILE) or implicit TLS, AUTH PLAIN/LOGIN with one user, recording every message.
 * `rejectRecipients` answers RCPT with 550 5.1.1 for those addresses; `failNext` makes the next message
 * fail: 'temporary' answers DATA with 451, 'rejected' answers it with 554.
 */
export class SmtpPeer {
  readonly received: ReceivedMail[] = [];
  readonly rejectRecipients = new Set<string>();
  private failure?: 'temporary' | 'rejected';
  port = 0;
  caFile = '';
  private server?: SMTPServer;
  private dir = '';

  private readonly user: string;
  private readonly pass: string;
  private readonly implicitTls: boolean;

  constructor(user: string, pass: string, implicitTls = false) {
    this.user = user;
    this.pass = pass;
    this.implicitTls = implicitTls;
  }

  /** The next message's DATA fails with 451 (temporary) or 554 (rejected). */
  failNext(kind: 'temporary' | 'rejected'): void {
    this.failure = kind;
  }

  async start(): Promise<this> {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048 });
    this.dir = mkdtempSync(path.join(tmpdir(), 'smtp-peer-'));
    this.caFile = path.join(this.dir, 'ca.pem');
    writeFileSync(this.caFile, pems.cert);
    const options: SMTPServerOptions = {
      secure: this.implicitTls,
      key: pems.private,
      cert: pems.cert,
      authMethods: ['PLAIN', 'LOGIN'],
      size: 30 * 1024 * 1024,
      logger: false,
      // Tests never reach real DNS: no reverse lookup of the client's address.
      disableReverseLookup: true,
      onAuth: (auth, _session, callback) => {
        if (auth.username === this.user && auth.password === this.pass)
          return callback(null, { user: auth.username });
        const error = Object.assign(new Error('Invalid username or password'), { responseCode: 535 });
        return callback(error);
      },
      onRcptTo: (address, _session, callback) => {
        if (this.rejectRecipients.has(address.address.toLowerCase())) {
          return callback(Object.assign(new Error('5.1.1 User unknown'), { responseCode: 550 }));
        }
        return callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const failure = this.failure;
          this.failure = undefined;
          if (failure === 'temporary') {
            return callback(Object.assign(new Error('4.3.0 Try again later'), { responseCode: 451 }));
          }
          if (failure === 'rejected') {
            return callback(
              Object.assign(new Error('5.7.1 Message rejected as spam'), { responseCode: 554 }),
            );
          }
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
            ...(typeof session.user === 'string' ? { user: session.user } : {}),
          });
          return callback();
        });
      },
    };
    this.server = new SMTPServer(options);
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
    const address = this.server.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
