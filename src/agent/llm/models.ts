import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { LlmError } from './errors.ts';
import type { LlmTarget } from './types.ts';

/**
 * The AI SDK model for a target. Every provider gets the key explicitly (never from the environment), our fetch
 * when one is given (tests), and the target's base URL when set. OpenAI uses the Chat Completions API, which every
 * OpenAI model and most OpenAI-style proxies serve.
 */
export function createModel(target: LlmTarget, fetchImpl?: typeof fetch): LanguageModel {
  const fetchOption = fetchImpl ? { fetch: fetchImpl } : {};
  const baseURL = target.baseUrl ? { baseURL: target.baseUrl } : {};
  switch (target.provider) {
    case 'openai':
      if (!target.apiKey) throw missingKey(target);
      return createOpenAI({ apiKey: target.apiKey, ...baseURL, ...fetchOption }).chat(target.model);
    case 'anthropic':
      if (!target.apiKey) throw missingKey(target);
      return createAnthropic({ apiKey: target.apiKey, ...baseURL, ...fetchOption })(target.model);
    case 'openai-compatible':
      if (!target.baseUrl) {
        throw new LlmError('llm_not_configured', 'the openai-compatible provider needs a base_url');
      }
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: target.baseUrl,
        ...(target.apiKey ? { apiKey: target.apiKey } : {}),
        includeUsage: true,
        ...fetchOption,
      }).chatModel(target.model);
    case 'dev':
      throw new Error('the dev provider has no AI SDK model');
  }
}

function missingKey(target: LlmTarget): LlmError {
  return new LlmError('llm_not_configured', `no LLM key is set for the ${target.provider} provider`);
}
