import { generateText, type LanguageModelUsage, streamText, tool, type ToolSet } from 'ai';
import { publicFetchFor } from '../../channels/adapter-context.ts';
import type { Logger } from '../../logger.ts';
import { devGenerate } from './dev-model.ts';
import { observeLlmCall } from '../../metrics/metrics.ts';
import { LlmError } from './errors.ts';
import { createModel } from './models.ts';
import { classifyError, retryDelay, sleep } from './retry.ts';
import type { GenerateInput, GenerateResult, LlmTarget, LlmToolCall } from './types.ts';

export type LlmClientOptions = {
  /** Bound on each attempt (request and, when streaming, the whole stream). */
  timeoutMs: number;
  /** Retries per target after the first attempt, for 429, 5xx, network errors and timeouts (a timed-out
   * primary with a fallback goes to the fallback at once). */
  maxRetries: number;
  baseDelayMs: number;
  /** Cap on any wait between attempts, including one asked for by retry-after. */
  maxDelayMs: number;
  fetch?: typeof fetch;
  logger?: Logger;
};

export type LlmClient = { generate(input: GenerateInput): Promise<GenerateResult> };

type Reply = { text: string; usage: GenerateResult['usage']; toolCalls: LlmToolCall[] };
/** Shared by all attempts of one generate() call: once a chunk went out, nothing may be retried. */
type StreamState = { emitted: number };

/** Wraps an exception thrown by the caller's onChunk, so it passes through untouched. */
class ChunkHandlerError {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

const tokens = (usage: LanguageModelUsage | undefined): Reply['usage'] => ({
  inputTokens: usage?.inputTokens ?? 0,
  outputTokens: usage?.outputTokens ?? 0,
});

const label = (t: LlmTarget) => `${t.provider}/${t.model}`;
const plural = (n: number) => `${n} attempt${n === 1 ? '' : 's'}`;

/** A failure of one target after its attempts, with how many were made. */
class TargetFailure {
  readonly error: LlmError;
  readonly attempts: number;
  readonly afterChunks: boolean;
  constructor(error: LlmError, attempts: number, afterChunks: boolean) {
    this.error = error;
    this.attempts = attempts;
    this.afterChunks = afterChunks;
  }
  describe(target: LlmTarget): string {
    const when = this.afterChunks
      ? ' after the reply had started streaming'
      : ` after ${plural(this.attempts)}`;
    return `${label(target)}: ${this.error.message}${when}`;
  }
}

/**
 * The LLM client: one generate() asks the primary target, retrying retryable failures with backoff, then the
 * fallback with the same policy. The AI SDK's own retries are off (maxRetries: 0) so this policy is the only one.
 */
export function createLlmClient(options: LlmClientOptions): LlmClient {
  const maxRetries = Math.max(0, Math.floor(options.maxRetries));

  /** One call, observed: latency by outcome, tokens on success, the error code on failure. */
  async function attempt(target: LlmTarget, input: GenerateInput, state: StreamState): Promise<Reply> {
    const started = performance.now();
    try {
      const reply = await call(target, input, state);
      observeLlmCall(target.provider, started, { usage: reply.usage });
      return reply;
    } catch (err) {
      const code =
        err instanceof LlmError ? err.code : err instanceof ChunkHandlerError ? 'chunk_handler' : 'error';
      observeLlmCall(target.provider, started, { code });
      throw err;
    }
  }

  async function call(target: LlmTarget, input: GenerateInput, state: StreamState): Promise<Reply> {
    if (target.provider === 'dev') {
      const reply = await devGenerate({
        system: input.system,
        messages: input.messages,
        ...(input.onChunk ? { onChunk: emitter(input, state) } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
      });
      return { ...reply, toolCalls: [] };
    }
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const abortSignal = input.signal ? AbortSignal.any([timeout, input.signal]) : timeout;
    try {
      const common = {
        model: createModel(target, options.fetch),
        system: input.system,
        messages: input.messages,
        maxRetries: 0,
        abortSignal,
        ...(input.tools?.length ? { tools: toolSet(input.tools) } : {}),
        ...(target.parameters.temperature !== undefined
          ? { temperature: target.parameters.temperature }
          : {}),
        ...(target.parameters.max_tokens !== undefined
          ? { maxOutputTokens: target.parameters.max_tokens }
          : {}),
      };
      let reply: Reply;
      if (!input.onChunk) {
        const result = await generateText(common);
        reply = {
          text: result.text,
          usage: tokens(result.usage),
          toolCalls: result.toolCalls.map((call) => ({ name: call.toolName, input: call.input })),
        };
      } else {
        const emit = emitter(input, state);
        // Errors arrive as `error` parts below; the empty onError keeps the SDK from printing them.
        const result = streamText({ ...common, onError: () => {} });
        let text = '';
        let usage: LanguageModelUsage | undefined;
        const toolCalls: LlmToolCall[] = [];
        for await (const part of result.fullStream) {
          if (part.type === 'text-delta' && part.text) {
            text += part.text;
            emit(part.text);
          } else if (part.type === 'tool-call') {
            toolCalls.push({ name: part.toolName, input: part.input });
          } else if (part.type === 'error') throw part.error;
          else if (part.type === 'abort') throw new Error('stream aborted');
          else if (part.type === 'finish') usage = part.totalUsage;
        }
        if (abortSignal.aborted) throw new Error('stream aborted');
        reply = { text, usage: tokens(usage), toolCalls };
      }
      if (reply.text.trim() === '' && reply.toolCalls.length === 0) {
        throw new LlmError('llm_bad_response', 'empty reply from the provider', { retryable: false });
      }
      return reply;
    } catch (err) {
      if (err instanceof ChunkHandlerError) throw err;
      throw classifyError(err, {
        timedOut: timeout.aborted,
        aborted: input.signal?.aborted ?? false,
        timeoutMs: options.timeoutMs,
      });
    }
  }

  function emitter(input: GenerateInput, state: StreamState) {
    const onChunk = input.onChunk as (text: string) => void;
    return (text: string) => {
      state.emitted += 1;
      try {
        onChunk(text);
      } catch (err) {
        throw new ChunkHandlerError(err);
      }
    };
  }

  /**
   * Up to maxRetries + 1 attempts on one target. With `timeoutEndsTarget` (a fallback is waiting) a timed-out
   * attempt is not retried: a provider that is slow now is likely slow again, and the user is waiting.
   */
  async function runTarget(
    target: LlmTarget,
    input: GenerateInput,
    state: StreamState,
    timeoutEndsTarget = false,
  ): Promise<Reply> {
    for (let n = 0; ; n++) {
      try {
        return await attempt(target, input, state);
      } catch (err) {
        if (err instanceof ChunkHandlerError) throw err;
        const error = classifyError(err, { timedOut: false, aborted: false, timeoutMs: options.timeoutMs });
        const attempts = n + 1;
        const afterChunks = state.emitted > 0;
        const timeoutEnds = timeoutEndsTarget && error.code === 'llm_timeout';
        if (
          !error.retryable ||
          afterChunks ||
          timeoutEnds ||
          n >= maxRetries ||
          error.code === 'llm_aborted'
        ) {
          options.logger?.warn(
            {
              provider: target.provider,
              model: target.model,
              attempts,
              code: error.code,
              status: error.status,
            },
            'LLM target failed',
          );
          throw new TargetFailure(error, attempts, afterChunks);
        }
        const delayMs = retryDelay(error, n, options);
        options.logger?.info(
          { provider: target.provider, model: target.model, attempt: attempts, code: error.code, delayMs },
          'LLM attempt failed; retrying',
        );
        try {
          await sleep(delayMs, input.signal);
        } catch (cancelled) {
          throw new TargetFailure(cancelled as LlmError, attempts, false);
        }
      }
    }
  }

  return {
    async generate(input) {
      const state: StreamState = { emitted: 0 };
      const answer = (reply: Reply, target: LlmTarget, usedFallback: boolean): GenerateResult => ({
        ...reply,
        provider: target.provider,
        model: target.model,
        usedFallback,
      });
      try {
        try {
          const reply = await runTarget(input.primary, input, state, input.fallback !== undefined);
          return answer(reply, input.primary, false);
        } catch (err) {
          if (!(err instanceof TargetFailure)) throw err;
          if (err.afterChunks || err.error.code === 'llm_aborted' || !input.fallback) {
            throw new LlmError(err.error.code, `LLM call failed: ${err.describe(input.primary)}`, {
              retryable: err.error.retryable && !err.afterChunks,
              ...(err.error.status !== undefined ? { status: err.error.status } : {}),
            });
          }
          try {
            return answer(await runTarget(input.fallback, input, state), input.fallback, true);
          } catch (second) {
            if (!(second instanceof TargetFailure)) throw second;
            throw new LlmError(
              second.error.code,
              `LLM call failed: primary ${err.describe(input.primary)}; ` +
                `fallback ${second.describe(input.fallback)}`,
              {
                retryable: second.error.retryable && !second.afterChunks,
                ...(second.error.status !== undefined ? { status: second.error.status } : {}),
              },
            );
          }
        }
      } catch (err) {
        if (err instanceof ChunkHandlerError) throw err.error;
        throw err;
      }
    },
  };
}

/** The offered tools as AI SDK tools without `execute`: a call ends the generation and is returned. */
function toolSet(tools: NonNullable<GenerateInput['tools']>): ToolSet {
  return Object.fromEntries(
    tools.map((t) => [t.name, tool({ description: t.description, inputSchema: t.input })]),
  );
}

/** Client options from the configuration: LLM_TIMEOUT_MS, LLM_MAX_RETRIES, backoff from 1 s up to 30 s. */
export function llmClientOptionsFrom(
  config: { LLM_TIMEOUT_MS: number; LLM_MAX_RETRIES: number; OUTBOUND_ALLOW_PRIVATE: boolean },
  logger?: Logger,
): LlmClientOptions {
  return {
    timeoutMs: config.LLM_TIMEOUT_MS,
    maxRetries: config.LLM_MAX_RETRIES,
    baseDelayMs: 1000,
    maxDelayMs: 30_000,
    // Base URLs are member- or admin-supplied: connect only to public addresses unless OUTBOUND_ALLOW_PRIVATE.
    fetch: publicFetchFor(config),
    ...(logger ? { logger } : {}),
  };
}
