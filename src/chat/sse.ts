import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ApiError } from '../http/errors.ts';
import type { Logger } from '../logger.ts';
import { sseStallGuard } from '../http/sse-stall.ts';
import type { ChatResult } from './chat-service.ts';
import { chatReplyFields } from './reply-body.ts';

/** What a streamed chat runs: given a chunk sink and an abort signal, the chat's result. */
export type StreamedChat = (onChunk: (text: string) => void, signal: AbortSignal) => Promise<ChatResult>;

/**
 * Answers with server-sent events: `connected`, then `response_chunk` per piece of the reply, then
 * `complete` (conversation id, full response, token usage) or `error` (message and status). A client
 * that disconnects aborts the LLM call, unless `finishOnDisconnect` is set: then the reply is still
 * completed and stored, so a client whose connection dropped finds it in the history when it reconnects.
 * A client that stops reading for `stallMs` is disconnected (sse-stall.ts).
 */
export function chatStream(
  c: Context,
  logger: Logger,
  run: StreamedChat,
  options: { stallMs: number; finishOnDisconnect?: boolean },
): Response {
  return streamSSE(c, async (stream) => {
    const abort = new AbortController();
    if (!options.finishOnDisconnect) stream.onAbort(() => abort.abort());
    const guard = sseStallGuard(c, stream, options.stallMs);
    let writes = Promise.resolve();
    const send = (event: string, data: unknown) => {
      writes = writes.then(async () => {
        if (!stream.aborted) await guard(stream.writeSSE({ event, data: JSON.stringify(data) }));
      });
      return writes;
    };
    await send('connected', { ok: true });
    try {
      const result = await run((content) => void send('response_chunk', { content }), abort.signal);
      await send('complete', chatReplyFields(result));
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 500;
      if (status >= 500) logger.warn({ err: error }, 'streamed chat failed');
      await send('error', {
        error: error instanceof ApiError ? error.message : 'Internal error',
        status,
        ...(error instanceof ApiError && error.details ? { details: error.details } : {}),
      });
    }
  });
}
