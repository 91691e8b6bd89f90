import type { ServerResponse } from 'node:http';

/**
 * The Anthropic Messages API wire format for the fake LLM server (POST /v1/messages): a `message` object, or
 * with `stream: true` the SSE sequence message_start, content_block_start, ping, content_block_delta (text_delta)…,
 * content_block_stop, message_delta (stop_reason and output usage), message_stop. Errors are
 * `{type: "error", error: {type, message}}`, with 529 for overloaded.
 */

const errorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export function writeAnthropicError(
  res: ServerResponse,
  status: number,
  message: string,
  retryAfter?: string,
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(retryAfter !== undefined ? { 'retry-after': retryAfter } : {}),
  });
  res.end(JSON.stringify({ type: 'error', error: { type: errorTypes[status] ?? 'api_error', message } }));
}

/** Anthropic requires these on every request; the fake answers 400/401 like the API when they are missing. */
export function anthropicRequestError(headers: Record<string, string>, body: any): string | undefined {
  if (!headers['x-api-key']) return 'x-api-key header is required';
  if (!headers['anthropic-version']) return 'anthropic-version header is required';
  if (typeof body?.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body?.messages) || body.messages.length === 0) return 'messages: Field required';
  return undefined;
}

export type AnthropicReply = {
  id: string;
  model: string;
  text: string;
  chunks: string[];
  usage: { input_tokens: number; output_tokens: number };
  stream: boolean;
  /** Waits between streamed chunks; false when the client went away. */
  pause: () => Promise<boolean>;
};

export async function writeAnthropicReply(res: ServerResponse, reply: AnthropicReply): Promise<void> {
  const message = {
    id: reply.id,
    type: 'message',
    role: 'assistant',
    model: reply.model,
    stop_reason: 'end_turn',
    stop_sequence: null,
  };
  if (!reply.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ ...message, content: [{ type: 'text', text: reply.text }], usage: reply.usage }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const event = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('message_start', {
    message: {
      ...message,
      content: [],
      stop_reason: null,
      usage: { input_tokens: reply.usage.input_tokens, output_tokens: 1 },
    },
  });
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  event('ping', {});
  for (const text of reply.chunks) {
    if (!(await reply.pause())) return;
    event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
  }
  event('content_block_stop', { index: 0 });
  event('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: reply.usage.output_tokens },
  });
  event('message_stop', {});
  res.end();
}
