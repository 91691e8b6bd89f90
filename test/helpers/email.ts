import type { TestApp } from './app.ts';
import type { Workspace } from './fixtures.ts';

/** The channels route of a workspace's agent. */
export const channelsPath = (ws: Workspace) =>
  `/api/v1/channels/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/channels`;

/** Configures the SMTP email channel (spec Option 1) and returns the generated inbound secret. */
export async function configureEmail(
  app: TestApp,
  ws: Workspace,
  settings: Record<string, unknown> & { smtp_config: Record<string, unknown> },
): Promise<string> {
  const put = await app.call('PUT', channelsPath(ws), {
    token: ws.owner.token,
    body: { email: { enabled: true, provider: 'smtp', from_email: 'support@shop.example', ...settings } },
  });
  if (put.status !== 200) throw new Error(`email config failed: ${put.status} ${put.text}`);
  const account = await app.channelAccounts.resolve(ws.agentId, 'email');
  const secret = await account?.secret('inbound_secret');
  if (!secret) throw new Error('no inbound secret was generated');
  return secret;
}

/** Posts a raw mail to the inbound route the way an MTA pipe would (Basic auth `inbound:<secret>`). */
export async function postMail(
  app: TestApp,
  agentId: string,
  raw: string | Buffer,
  auth: { secret?: string; user?: string; header?: string } = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'message/rfc822' };
  if (auth.secret !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${auth.user ?? 'inbound'}:${auth.secret}`).toString('base64')}`;
  }
  if (auth.header !== undefined) headers['x-inbound-secret'] = auth.header;
  const res = await fetch(`${app.url}/api/v1/channels/webhooks/email/${agentId}`, {
    method: 'POST',
    headers,
    body: typeof raw === 'string' ? raw : new Uint8Array(raw),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** A minimal RFC 5322 mail with CRLF line ends. */
export function simpleMail(fields: {
  from: string;
  to?: string;
  subject: string;
  messageId: string;
  body: string;
  headers?: string[];
}): string {
  return [
    `From: ${fields.from}`,
    `To: ${fields.to ?? 'support@shop.example'}`,
    `Subject: ${fields.subject}`,
    `Message-ID: ${fields.messageId}`,
    'Date: Sun, 29 Nov 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    ...(fields.headers ?? []),
    '',
    fields.body,
    '',
  ].join('\r\n');
}
