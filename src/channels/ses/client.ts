import { createHash } from 'node:crypto';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { DeliveryError } from '../errors.ts';
import type { AdapterContext } from '../types.ts';

/** The account's SES settings as validated by the config schema (the secret key decrypted on demand). */
export type SesConfig = {
  region: string;
  access_key_id?: string;
  configuration_set_name?: string;
  sns_topic_arns?: string[];
};

/** Timeouts (ms) for one SES API call: connecting, and the whole request. */
const CONNECT_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Most SES clients kept in one process; the least recently used one is dropped beyond. */
const MAX_CLIENTS = 200;

const clients = new Map<string, { hash: string; client: SESv2Client }>();

/** The AWS SDK loads on first use: a server without SES never pays for it at start-up. */
export const sesSdk = () => import('@aws-sdk/client-sesv2');

export const sesConfigOf = (ctx: AdapterContext): SesConfig => ctx.account.settings.ses_config as SesConfig;

/**
 * The account's SESv2 client: its region; its access keys when configured, otherwise the AWS default credential
 * chain (environment, shared config/profile, container or instance role). `SES_ENDPOINT` (apiRoots.ses) points it
 * at a local fake. The SDK never retries on its own: the delivery queue does (retry semantics in errors.ts).
 */
export async function sesClient(ctx: AdapterContext): Promise<SESv2Client> {
  const config = sesConfigOf(ctx);
  const secret = config.access_key_id ? await ctx.account.secret('ses_config.secret_access_key') : undefined;
  if (config.access_key_id && !secret) {
    throw new DeliveryError('ses_config.access_key_id is set without secret_access_key', {
      code: 'ses_auth_failed',
      retryable: false,
    });
  }
  const endpoint = ctx.apiRoots?.ses;
  const key = `${ctx.account.agentId}|${ctx.account.channel}`;
  const hash = createHash('sha256')
    .update(JSON.stringify([config.region, config.access_key_id ?? '', secret ?? '', endpoint ?? '']))
    .digest('hex');
  const existing = clients.get(key);
  if (existing?.hash === hash) {
    clients.delete(key);
    clients.set(key, existing);
    return existing.client;
  }
  existing?.client.destroy();
  const { SESv2Client } = await sesSdk();
  const client = new SESv2Client({
    region: config.region,
    ...(endpoint ? { endpoint } : {}),
    ...(config.access_key_id && secret
      ? { credentials: { accessKeyId: config.access_key_id, secretAccessKey: secret } }
      : {}),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
  });
  clients.set(key, { hash, client });
  if (clients.size > MAX_CLIENTS) {
    const [oldestKey, oldest] = clients.entries().next().value as [string, { client: SESv2Client }];
    oldest.client.destroy();
    clients.delete(oldestKey);
  }
  return client;
}

/** Drops every cached client (shutdown, tests). */
export function closeSesClients(): void {
  for (const { client } of clients.values()) client.destroy();
  clients.clear();
}
