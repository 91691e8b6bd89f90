/** Longest caller-chosen request id kept; longer ones are replaced. */
const MAX_LENGTH = 128;
const UNSAFE = /[^\w\-=]/;

/** The caller's `X-Request-Id` when short and made of safe characters, else a fresh UUID. */
export function requestIdFrom(header: string | undefined): string {
  return header && header.length <= MAX_LENGTH && !UNSAFE.test(header) ? header : crypto.randomUUID();
}
