import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** AES-256-GCM with a random 96-bit IV per value and a 128-bit tag, as the spec's Credential Encryption asks. */
const ALGORITHM = 'aes-256-gcm';
export const VAULT_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Sealed values are `v1:<key id>:<iv>:<ciphertext>:<tag>`, each part base64url. */
const FORMAT = 'v1';

/** Raised when a value cannot be sealed or opened. Its message never contains the plaintext. */
export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultError';
  }
}

/**
 * What a sealed value belongs to. It is authenticated as associated data, so a ciphertext copied to another
 * owner (agent, LLM key) or field fails to open.
 */
export type SealContext = readonly [kind: string, owner: string, field: string];

const aad = (context: SealContext) => Buffer.from(JSON.stringify(context), 'utf8');
const describe = (context: SealContext) => `${context[0]} ${context[2]} of ${context[1]}`;

/** A short, stable, non-secret name for a key: the first 12 hex digits of SHA-256 over a label and the key. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('switchboard-vault-key-id\0').update(key).digest('hex').slice(0, 12);
}

/** Decodes a 32-byte key from base64 (standard or url-safe); undefined when malformed. */
export function decodeKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === VAULT_KEY_BYTES ? key : undefined;
}

/** The key id a sealed value names, or undefined when the value is not in the vault's format. */
export function sealedKeyId(sealed: string): string | undefined {
  const parts = sealed.split(':');
  return parts.length === 5 && parts[0] === FORMAT ? parts[1] : undefined;
}

/** Seals with the newest key; opens with whichever configured key a value names. */
export class Vault {
  readonly currentKeyId: string;
  private readonly current: Buffer;
  private readonly keys: Map<string, Buffer>;

  /** `current` seals; `previous` keys only open values sealed before a rotation. */
  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== VAULT_KEY_BYTES) throw new VaultError(`vault keys must be ${VAULT_KEY_BYTES} bytes`);
    }
    this.current = current;
    this.currentKeyId = keyIdOf(current);
    this.keys = new Map(previous.map((key) => [keyIdOf(key), key]));
    this.keys.set(this.currentKeyId, current);
  }

  /** Ids of every key this vault can open with, newest first. */
  get keyIds(): string[] {
    return [this.currentKeyId, ...[...this.keys.keys()].filter((id) => id !== this.currentKeyId)];
  }

  seal(plaintext: string, context: SealContext): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [FORMAT, this.currentKeyId, iv, ciphertext, tag]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join(':');
  }

  open(sealed: string, context: SealContext): string {
    const parts = sealed.split(':');
    const [format, keyId, iv, ciphertext, tag] = parts;
    if (parts.length !== 5 || format !== FORMAT || !keyId || !iv || ciphertext === undefined || !tag) {
      throw new VaultError(`The stored ${describe(context)} is not a sealed vault value`);
    }
    const key = this.keys.get(keyId);
    if (!key) {
      throw new VaultError(
        `The stored ${describe(context)} was sealed with key ${keyId}, which is not configured ` +
          '(add it to CHANNEL_ENCRYPTION_KEYS_PREVIOUS, then run npm run keys:rotate)',
      );
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new VaultError(
        `The stored ${describe(context)} failed authentication: it was altered, or belongs to another record`,
      );
    }
  }

  /** Re-seals a value under the current key (for rotation); the plaintext never leaves this call. */
  reseal(sealed: string, context: SealContext): string {
    return this.seal(this.open(sealed, context), context);
  }
}
