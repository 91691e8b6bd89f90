import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { readBody } from './read-body.ts';
import { anthropicRequestError, writeAnthropicError, writeAnthropicReply } from './fake-llm-anthropic.ts';

/**
 * A fake LLM server on 127.0.0.1 for tests, speaking the OpenAI Chat Completions wire format
 * (POST /v1/chat/completions) and the Anthropic Messages format (POST /v1/messages), JSON or `stream: true`
 * server-sent events, so the real AI SDK client paths run.
 */

/** What the server does with one request. */
export type FakeStep =
  | {
      reply: string;
      chunks?: string[];
      usage?: { prompt_tokens: number; completion_tokens: number };
      /** OpenAI format: tool calls the model makes (with `reply` as the text beside them, '' for none). */
      toolCalls?: { name: string; arguments: Record<string, unknown> }[];
      /** Answer only once this settles (a model still thinking while the test acts). */
      waitFor?: Promise<unknown>;
      /** OpenAI stream: after the first piece, send the rest only once this settles (a reply mid-stream). */
      holdAfterFirstChunk?: Promise<unknown>;
    }
  | { status: number; retryAfter?: string; message?: string }
  /** Send these chunks, then cut the connection (a stream that breaks midway). */
  | { chunks: string[]; breakAfter: true }
  /** Never answer (until the server closes). */
  | { hang: true };

export type FakeLlmRequest = {
  path: string;
  /** Request headers; authorization is reduced to "[present]". */
  headers: Record<string, string>;
  body: any;
  /** performance.now() when the request arrived. */
  at: number;
};

export type FakeLlm = {
  /** Base URL to give the SDK (ends in /v1). */
  url: string;
  requests: FakeLlmRequest[];
  /** Queues replies, one per request, in order. */
  reply(...texts: string[]): void;
  /** Queues `times` failures with this status (and retry-after, when given). */
  fail(status: number, options?: { times?: number; retryAfter?: string }): void;
  /** Queues arbitrary steps. */
  enqueue(...steps: FakeStep[]): void;
  /** Answers requests when the queue is empty (default: the reply "ok from fake"). */
  respondWith(fn: (request: FakeLlmRequest) => FakeStep): void;
  /** Delay between streamed chunks. */
  chunkDelayMs: number;
  close(): Promise<void>;
};

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** The fake's token counts: words of every message content in, words of the reply out. */
export function fakeUsage(body: any, reply: string) {
  // Content is a string (OpenAI) or a list of text parts (Anthropic).
  const textOf = (content: any): string =>
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content.map((part: any) => (typeof part?.text === 'string' ? part.text : '')).join(' ')
        : '';
  const prompt = (Array.isArray(body?.messages) ? body.messages : []).reduce(
    (n: number, m: any) => n + words(textOf(m?.content)),
    0,
  );
  return { prompt_tokens: prompt, completion_tokens: words(reply), total_tokens: prompt + words(reply) };
}

/** Splits a reply into chunks of two words (with their spaces), which join back to the reply. */
export function fakeChunks(text: string): string[] {
  const parts = text.match(/\s*\S+\s*/g) ?? [text];
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += 2) out.push(parts.slice(i, i + 2).join(''));
  return out;
}

const statusText: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_api_key',
  403: 'permission_denied',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  503: 'service_unavailable',
};

export async function startFakeLlm(): Promise<FakeLlm> {
  const queue: FakeStep[] = [];
  const requests: FakeLlmRequest[] = [];
  const sockets = new Set<Socket>();
  let fallbackStep: (request: FakeLlmRequest) => FakeStep = () => ({ reply: 'ok from fake' });
  let counter = 0;

  const fake: FakeLlm = {
    url: '',
    requests,
    chunkDelayMs: 0,
    reply: (...texts) => queue.push(...texts.map((reply) => ({ reply }))),
    fail: (status, options = {}) => {
      for (let i = 0; i < (options.times ?? 1); i++) {
        queue.push({
          status,
          ...(options.retryAfter !== undefined ? { retryAfter: options.retryAfter } : {}),
        });
      }
    },
    enqueue: (...steps) => queue.push(...steps),
    respondWith: (fn) => {
      fallbackStep = fn;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const at = performance.now();
    const raw = (await readBody(req)).toString('utf8');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      const secret = k === 'authorization' || k === 'x-api-key';
      headers[k] = secret ? '[present]' : Array.isArray(v) ? v.join(', ') : v;
    }
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const record: FakeLlmRequest = { path: req.url ?? '', headers, body, at };
    requests.push(record);

    if (req.method === 'POST' && (req.url ?? '').endsWith('/messages')) {
      await handleAnthropic(req, res, record);
      return;
    }
    if (req.method !== 'POST' || !(req.url ?? '').endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
      return;
    }
    const step = queue.shift() ?? fallbackStep(record);
    if ('hang' in step) return; // the socket is destroyed on close()
    if ('status' in step) {
      // Like real providers, the error body echoes what it was sent (here the key), which must never surface.
      const echoed = req.headers.authorization ?? '';
      res.writeHead(step.status, {
        'content-type': 'application/json',
        ...(step.retryAfter !== undefined ? { 'retry-after': step.retryAfter } : {}),
      });
      res.end(
        JSON.stringify({
          error: {
            message: step.message ?? `fake failure ${step.status}; you sent ${echoed}`,
            type: statusText[step.status] ?? 'error',
            code: statusText[step.status] ?? null,
          },
        }),
      );
      return;
    }
    if ('waitFor' in step && step.waitFor) await step.waitFor;
    const toolCalls = ('toolCalls' in step && step.toolCalls ? step.toolCalls : []).map((call, index) => ({
      index,
      id: `call_fake_${counter + 1}_${index}`,
      type: 'function' as const,
      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    }));
    const finishReason = toolCalls.length > 0 ? 'tool_calls' : 'stop';
    const id = `chatcmpl-fake-${++counter}`;
    const created = Math.floor(Date.now() / 1000);
    const model = typeof body?.model === 'string' ? body.model : 'fake';
    const reply = 'reply' in step ? step.reply : step.chunks.join('');
    const usage =
      'reply' in step && step.usage
        ? { ...step.usage, total_tokens: step.usage.prompt_tokens + step.usage.completion_tokens }
        : fakeUsage(body, reply);
    if (!body?.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: reply === '' && toolCalls.length > 0 ? null : reply,
                ...(toolCalls.length > 0
                  ? { tool_calls: toolCalls.map(({ index: _, ...call }) => call) }
                  : {}),
              },
              finish_reason: finishReason,
            },
          ],
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      send({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    chunk({ role: 'assistant', content: '' }, null);
    const chunks = 'chunks' in step && step.chunks ? step.chunks : fakeChunks(reply);
    for (const [i, text] of chunks.entries()) {
      if (fake.chunkDelayMs > 0) await wait(fake.chunkDelayMs);
      if (i === 1 && 'holdAfterFirstChunk' in step) await step.holdAfterFirstChunk;
      if (res.destroyed) return;
      chunk({ content: text }, null);
    }
    if ('breakAfter' in step) {
      await wait(20);
      res.socket?.destroy();
      return;
    }
    if (toolCalls.length > 0) chunk({ tool_calls: toolCalls }, null);
    chunk({}, finishReason);
    if (body?.stream_options?.include_usage) {
      send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
    }
    res.write('data: [DONE]\n\n');
    res.end();
  }

  /** The Anthropic Messages API (POST /v1/messages), from the same queue of steps. */
  async function handleAnthropic(req: IncomingMessage, res: ServerResponse, record: FakeLlmRequest) {
    const invalid = anthropicRequestError(record.headers, record.body);
    if (invalid) return writeAnthropicError(res, invalid.startsWith('x-api-key') ? 401 : 400, invalid);
    const step = queue.shift() ?? fallbackStep(record);
    if ('hang' in step) return;
    if ('status' in step) {
      const echoed = String(req.headers['x-api-key'] ?? '');
      const message = step.message ?? `fake failure ${step.status}; you sent ${echoed}`;
      return writeAnthropicError(res, step.status, message, step.retryAfter);
    }
    if ('breakAfter' in step) throw new Error('breakAfter is not implemented for the Anthropic format');
    const text = step.reply;
    const usage = step.usage ?? fakeUsage(record.body, text);
    await writeAnthropicReply(res, {
      id: `msg_fake_${++counter}`,
      model: String(record.body.model),
      text,
      chunks: step.chunks ?? fakeChunks(text),
      usage: { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens },
      stream: record.body.stream === true,
      pause: async () => {
        if (fake.chunkDelayMs > 0) await wait(fake.chunkDelayMs);
        return !res.destroyed;
      },
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}
