/** Email through a provider webhook: SendGrid Inbound Parse posts (parsed form, Basic auth) → durable ack. */
import { putChannels } from './tiny-api.ts';
import { measureWebhookIngest } from './webhook-load.ts';

const USERS = 1000;
const BOUNDARY = 'xYzZYbench';

/** Switches the agent's email channel to SendGrid (API at `apiRoot`'s tiny sink); returns the inbound secret. */
export async function configureSendgridEmail(
  url: string,
  token: string,
  ids: { org: string; project: string; agent: string },
): Promise<string> {
  await putChannels(url, token, ids, {
    email: {
      enabled: true,
      provider: 'sendgrid',
      from_email: 'support@bench.example',
      api_keys: { sendgrid: 'SG.bench-key-0123456789.abcdefghijklmnop' },
    },
  });
  const info = await fetch(
    `${url}/api/v1/channels/organizations/${ids.org}/projects/${ids.project}/agents/${ids.agent}/channels/email/webhook/info`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  const body = (await info.json()) as { webhook_info: { url: string } };
  return decodeURIComponent(new URL(body.webhook_info.url).password);
}

/** One Parse post (parsed form: headers, text, html, charsets, SPF, dkim, envelope) with a fresh Message-ID. */
function parsePost(n: number): string {
  const user = `parse${n % USERS}@customer.example`;
  const fields: [string, string][] = [
    [
      'headers',
      [
        `Received: from mail.customer.example (mail.customer.example [192.0.2.10]) by mx.sendgrid.net`,
        `From: Bench User <${user}>`,
        'To: support@bench.example',
        `Subject: Parse question ${n}`,
        `Message-ID: <parse-${process.pid}-${n}@customer.example>`,
        'Date: Sun, 29 Nov 2026 10:00:00 +0000',
        'MIME-Version: 1.0',
      ].join('\n'),
    ],
    ['from', `Bench User <${user}>`],
    ['to', 'support@bench.example'],
    ['subject', `Parse question ${n}`],
    ['text', `Hello, this is Parse mail ${n}. Where is my order?\n\nOn Sun, Support wrote:\n> Thanks.`],
    ['html', `<div>Hello, this is Parse mail ${n}. Where is my order?</div>`],
    ['charsets', '{"to":"UTF-8","from":"UTF-8","subject":"UTF-8","text":"UTF-8","html":"UTF-8"}'],
    ['SPF', 'pass'],
    ['dkim', '{@customer.example : pass}'],
    ['sender_ip', '192.0.2.10'],
    ['envelope', `{"to":["support@bench.example"],"from":"${user}"}`],
  ];
  return `${fields
    .map(
      ([name, value]) =>
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
    )
    .join('')}--${BOUNDARY}--\r\n`;
}

/** Parse posts as fast as they are durably acknowledged (each rebuilt to MIME and stored as a raw mail). */
export function measureSendgridParseIngest(
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
      body: parsePost(n),
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, authorization },
    }),
  );
}
