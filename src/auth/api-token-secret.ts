import { createHash, randomBytes } from 'node:crypto';

/** Personal tokens act as their user; organization tokens are confined to one organization and a role. */
export type TokenKind = 'pat' | 'org';

const TOKEN_SHAPE = /^sb_(pat|org)_[A-Za-z0-9]{43}$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new token `sb_<kind>_<43 base62 chars>` (~256 bits); only its hash is stored. */
export function generateApiToken(kind: TokenKind): string {
  const bytes = randomBytes(64);
  let body = '';
  for (const byte of bytes) {
    if (byte < 248) body += ALPHABET[byte % 62]; // 248 = 4*62: rejection keeps the distribution uniform.
    if (body.length === 43) break;
  }
  return body.length === 43 ? `sb_${kind}_${body}` : generateApiToken(kind);
}

export function looksLikeApiToken(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

/** SHA-256 of the token: tokens carry 256 random bits, so a fast hash is enough and lookups stay indexed. */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** What lists show to identify a token without revealing it. */
export function tokenDisplayPrefix(token: string): string {
  return token.slice(0, 11);
}
