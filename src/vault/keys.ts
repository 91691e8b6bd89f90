import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadOrCreateLocalSecret } from '../bootstrap/local-secret.ts';
import type { Config } from '../config.ts';
import { ConfigError } from '../config.ts';
import type { Logger } from '../logger.ts';
import { decodeKey, Vault, VAULT_KEY_BYTES } from './vault.ts';

/** File (under DATA_DIR/secrets) holding the generated key when CHANNEL_ENCRYPTION_KEY is not set. */
export const KEY_FILE_NAME = 'channel-encryption-key';

/**
 * Builds the vault from CHANNEL_ENCRYPTION_KEY (+ CHANNEL_ENCRYPTION_KEYS_PREVIOUS). Without the variable (never in
 * production, which config refuses), a key is generated once into DATA_DIR/secrets (0600) and a warning logged.
 */
export function vaultFromConfig(config: Config, logger: Logger): Vault {
  const previous = config.CHANNEL_ENCRYPTION_KEYS_PREVIOUS.map((k) => decodeKey(k) as Buffer);
  if (config.CHANNEL_ENCRYPTION_KEY) {
    return new Vault(decodeKey(config.CHANNEL_ENCRYPTION_KEY) as Buffer, previous);
  }
  const file = path.join(config.DATA_DIR, 'secrets', KEY_FILE_NAME);
  const { value, created } = loadOrCreateLocalSecret(config.DATA_DIR, KEY_FILE_NAME, () =>
    randomBytes(VAULT_KEY_BYTES).toString('base64'),
  );
  const key = decodeKey(value);
  if (!key) {
    throw new ConfigError(
      `Invalid configuration:\n  CHANNEL_ENCRYPTION_KEY: not set, and ${file} does not hold 32 bytes in base64`,
    );
  }
  logger.warn(
    { file, created },
    'CHANNEL_ENCRYPTION_KEY is not set; channel credentials are encrypted with the generated key file in DATA_DIR. ' +
      'Set CHANNEL_ENCRYPTION_KEY in production (and give every process the same key).',
  );
  return new Vault(key, previous);
}
