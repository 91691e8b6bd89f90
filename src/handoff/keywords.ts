/**
 * Keyword handoff: a user message containing one of the agent's keywords as a whole word or phrase
 * (case-insensitive, Unicode-normalized, runs of spaces ignored) hands the conversation to a human.
 */

const normalize = (text: string) => text.normalize('NFKC').toLocaleLowerCase().replace(/\s+/gu, ' ').trim();
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The first keyword found in `text`, or undefined. */
export function matchKeyword(text: string, keywords: readonly string[]): string | undefined {
  const haystack = normalize(text);
  for (const keyword of keywords) {
    const needle = normalize(keyword);
    if (!needle) continue;
    const pattern = new RegExp(`(^|[^\\p{L}\\p{N}])${escape(needle)}($|[^\\p{L}\\p{N}])`, 'u');
    if (pattern.test(haystack)) return keyword;
  }
  return undefined;
}
