/** Email ingest benchmark: raw MIME posts (message/rfc822, Basic auth) → durable ack; replies go to an smtp-server sink. */
import { measureWebhookIngest } from './webhook-load.ts';

const USERS = 1000;
/** The receiving server whose Authentication-Results the channel trusts: no DNS during the run. */
const AUTHSERV = 'mx.bench.example';

/** PUTs the agent's SMTP email configuration and returns the generated inbound secret. */
export async function configureEmail(
  url: string,
  token: string,
  ids: { org: string; project: string; agent: string },
  smtpPort: number,
): Promise<string> {
  const channels = `${url}/api/v1/channels/organizations/${ids.org}/projects/${ids.project}/agents/${ids.agent}/channels`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const put = await fetch(channels, {
    method: 'PUT',
    headers,
    body: JSON.stringify({
      email: {
        enabled: true,
        provider: 'smtp',
        from_email: 'support@bench.example',
        trusted_authserv_ids: [AUTHSERV],
        smtp_config: {
          host: '127.0.0.1',
          port: smtpPort,
          secure: true,
          username: 'bench',
          password: 'bench-pass',
        },
      },
    }),
  });
  if (put.status !== 200) throw new Error(`email config answered ${put.status}: ${await put.text()}`);
  const info = await fetch(`${channels}/email/webhook/info`, { headers });
  const body = (await info.json()) as { webhook_info: { url: string } };
  return decodeURIComponent(new URL(body.webhook_info.url).password);
}

/** A realistic small mail (about 1.5 KB) with a fresh Message-ID and a trusted Authentication-Results. */
function mail(n: number): string {
  const user = `bench${n % USERS}@customer.example`;
  return [
    `Authentication-Results: ${AUTHSERV}; dkim=pass header.d=customer.example; spf=pass smtp.mailfrom=customer.example; dmarc=pass header.from=customer.example`,
    `Received: from mail.customer.example (mail.customer.example [192.0.2.10]) by ${AUTHSERV} with ESMTPS id b${n}; Sun, 29 Nov 2026 10:00:00 +0000`,
    `From: Bench User <${user}>`,
    'To: Support <support@bench.example>',
    `Subject: Question ${n}`,
    `Message-ID: <bench-${process.pid}-${n}@customer.example>`,
    'Date: Sun, 29 Nov 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello, this is load mail ${n}. Where is my order?`,
    '',
    'On Sun, 29 Nov 2026 at 09:00, Support <support@bench.example> wrote:',
    '> Thanks for your order.',
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<div>Hello, this is load mail ${n}. Where is my order?</div><div class="gmail_quote">On Sun wrote:<blockquote>Thanks for your order.</blockquote></div>`,
    '--b1--',
    '',
  ].join('\r\n');
}

/** Raw MIME posts with fresh Message-IDs, as fast as they are durably acknowledged. */
export function measureEmailIngest(
  url: string,
  agentId: string,
  secret: string,
  durationS: number,
  connections: number,
) {
  const authorization = `Basic ${Buffer.from(`inbound:${secret}`).toString('base64')}`;
  return measureWebhookIngest(
    `${url}/api/v1/channels/webhooks/email/${agentId}`,
    durationS,
    connections,
    (n) => ({
      body: mail(n),
      headers: { 'content-type': 'message/rfc822', authorization },
    }),
  );
}
