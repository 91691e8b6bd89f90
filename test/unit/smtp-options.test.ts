import { describe, expect, it } from 'vitest';
import { smtpOptions } from '../../src/channels/smtp/transport.ts';

const options = (port: number, secure: boolean) =>
  smtpOptions({ host: 'smtp.example.com', port, secure }, {});

describe('smtpOptions', () => {
  it('uses implicit TLS on 465 and 2465 even when secure is false, which there could only time out', () => {
    for (const port of [465, 2465]) {
      expect(options(port, false)).toMatchObject({ port, secure: true, requireTLS: false });
    }
  });

  it('requires STARTTLS elsewhere unless secure is set', () => {
    expect(options(587, false)).toMatchObject({ secure: false, requireTLS: true });
    expect(options(2525, true)).toMatchObject({ secure: true, requireTLS: false });
  });
});
