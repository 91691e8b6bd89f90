import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Compares a presented secret with the expected one in constant time (hashing first hides the length too). */
export function secretsEqual(given: string | undefined | null, expected: string): boolean {
  if (given === undefined || given === null) return false;
  return timingSafeEqual(digest(given), digest(expected));
}
