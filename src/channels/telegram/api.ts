import type { AdapterContext } from '../types.ts';

/** Where the Bot API lives unless TELEGRAM_API_ROOT says otherwise. */
export const DEFAULT_TELEGRAM_API_ROOT = 'https://api.telegram.org';
/** Longest wait for one Bot API call. */
const CALL_TIMEOUT_MS = 15_000;

/**
 * A Bot API failure: Telegram's error_code and description (errorCode 0 = no answer at all). The message
 * names only the method, never the URL: the bot token is part of every request URL.
 */
export class TelegramApiError extends Error {
  readonly errorCode: number;
  readonly description: string;
  /** parameters.retry_after, in seconds. */
  readonly retryAfter?: number;
  /** parameters.migrate_to_chat_id: the group became this supergroup (providers.md §2.6). */
  readonly migrateToChatId?: number;

  constructor(method: string, errorCode: number, description: string, parameters: ErrorParameters = {}) {
    super(`Telegram ${method} failed: ${errorCode || 'no response'} ${description}`);
    this.name = 'TelegramApiError';
    this.errorCode = errorCode;
    this.description = description;
    const { retry_after: retryAfter, migrate_to_chat_id: migrateTo } = parameters;
    if (typeof retryAfter === 'number') this.retryAfter = retryAfter;
    if (Number.isSafeInteger(migrateTo)) this.migrateToChatId = migrateTo;
  }
}

type ErrorParameters = { retry_after?: number; migrate_to_chat_id?: number };

type Envelope<T> = {
  ok?: boolean;
  result?: T;
  error_code?: number;
  description?: string;
  parameters?: ErrorParameters;
};

const apiRoot = (ctx: AdapterContext) =>
  (ctx.apiRoots?.telegram ?? DEFAULT_TELEGRAM_API_ROOT).replace(/\/+$/, '');

async function botToken(ctx: AdapterContext): Promise<string> {
  const token = await ctx.account.secret('bot_token');
  if (!token) throw new TelegramApiError('call', 401, 'No bot token is configured');
  return token;
}

/** Calls one Bot API method with a JSON body and returns its `result`, or throws TelegramApiError. */
export async function callBotApi<T>(
  ctx: AdapterContext,
  method: string,
  params: Record<string, unknown> = {},
): Promise<T> {
  const token = await botToken(ctx);
  let response: Response;
  try {
    response = await ctx.fetch(`${apiRoot(ctx)}/bot${token}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (error) {
    // Not chained as `cause`: some fetch errors quote the request URL.
    const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new TelegramApiError(method, 0, `network error (${reason})`);
  }
  const body = (await response.json().catch(() => ({}))) as Envelope<T>;
  if (response.ok && body.ok === true) return body.result as T;
  throw new TelegramApiError(
    method,
    body.error_code ?? response.status,
    body.description ?? `HTTP ${response.status}`,
    body.parameters ?? {},
  );
}

export type TelegramFile = {
  file_id: string;
  file_unique_id: string;
  file_size?: number;
  file_path?: string;
};

/** Longest a file download may take, body included. */
const DOWNLOAD_TIMEOUT_MS = 5 * 60_000;

/**
 * Opens a file by file_id (getFile, then the file endpoint on the configured API root, the only host that
 * ever sees the token). Resolves once the headers arrived; the body streams from the returned response.
 */
export async function openFile(
  ctx: AdapterContext,
  fileId: string,
): Promise<{ file: TelegramFile; response: Response }> {
  const file = await callBotApi<TelegramFile>(ctx, 'getFile', { file_id: fileId });
  if (!file.file_path) throw new TelegramApiError('getFile', 400, 'Bad Request: file is not downloadable');
  const token = await botToken(ctx);
  let response: Response;
  try {
    response = await ctx.fetch(`${apiRoot(ctx)}/file/bot${token}/${file.file_path}`, {
      signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
    });
  } catch {
    throw new TelegramApiError('file download', 0, 'network error');
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => {});
    throw new TelegramApiError('file download', response.status, `HTTP ${response.status}`);
  }
  return { file, response };
}

/** Fetches a file's bytes by file_id (getFile, then the file endpoint); only when a caller needs them. */
export async function downloadFile(ctx: AdapterContext, fileId: string): Promise<Uint8Array> {
  const { response } = await openFile(ctx, fileId);
  return new Uint8Array(await response.arrayBuffer());
}
