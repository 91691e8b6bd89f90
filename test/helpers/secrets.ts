import { randomBytes } from 'node:crypto';

/**
 * Every secret a test hands to the server (channel credentials, LLM keys, vault keys). Each test app checks, when
 * it closes, that none of them appears in any response body or log line it recorded (see startTestApp), so the
 * leak check covers every integration test file, not one.
 */
const registered = new Set<string>();

/** Registers a value as secret and returns it. */
export function secret<T extends string>(value: T): T {
  registered.add(value);
  return value;
}

/** A fresh random secret: `prefix` + hex (unique per call, so a hit can only come from this run). */
export function randomSecret(prefix = 'sec', bytes = 16): string {
  return secret(`${prefix}${randomBytes(bytes).toString('hex')}`);
}

/** A 32-byte vault key in base64, registered as secret. */
export function vaultKey(): string {
  return secret(randomBytes(32).toString('base64'));
}

/** The registered secrets found in `texts`, with where each was found. */
export function findLeaks(texts: { where: string; text: string }[]): string[] {
  const leaks: string[] = [];
  for (const value of registered) {
    for (const { where, text } of texts) {
      if (text.includes(value)) leaks.push(`${where} contains secret ${value.slice(0, 4)}…`);
    }
  }
  return leaks;
}
