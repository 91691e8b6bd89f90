/**
 * A provider's inbound-mail or events post that is malformed: the route answers `status` (400 by default, or 406
 * for Mailgun's "reject, do not retry") with the message, which names the field. Never carries a credential.
 */
export class InboundMailError extends Error {
  readonly status: 400 | 406 | 413 | 415;
  constructor(message: string, status: 400 | 406 | 413 | 415 = 400) {
    super(message);
    this.name = 'InboundMailError';
    this.status = status;
  }
}
