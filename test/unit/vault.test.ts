import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { KEY_FILE_NAME, vaultFromConfig } from '../../src/vault/keys.ts';
import { keyIdOf, sealedKeyId, Vault, VaultError } from '../../src/vault/vault.ts';

const key = () => randomBytes(32);
const ctx = ['channel_secret', 'agent_a', 'telegram.bot_token'] as const;

describe('Vault', () => {
  it('seals with AES-256-GCM: v1, key id, 96-bit IV, ciphertext, 128-bit tag; opens back', () => {
    const vault = new Vault(key());
    const sealed = vault.seal('123456:secret-value', ctx);
    const [format, keyId, iv, ciphertext, tag] = sealed.split(':');
    expect(format).toBe('v1');
    expect(keyId).toBe(vault.currentKeyId);
    expect(Buffer.from(iv as string, 'base64url')).toHaveLength(12);
    expect(Buffer.from(ciphertext as string, 'base64url')).toHaveLength('123456:secret-value'.length);
    expect(Buffer.from(tag as string, 'base64url')).toHaveLength(16);
    expect(sealed).not.toContain('secret-value');
    expect(vault.open(sealed, ctx)).toBe('123456:secret-value');
    expect(vault.seal('same', ctx)).not.toBe(vault.seal('same', ctx));
  });

  it('refuses a value moved to another owner or field, or altered, without revealing it', () => {
    const vault = new Vault(key());
    const sealed = vault.seal('plain-secret-xyz', ctx);
    // One character of the tag changed (the last one carries padding bits: the one before it, never a no-op).
    const altered = `${sealed.slice(0, -2)}${sealed.at(-2) === 'A' ? 'B' : 'A'}${sealed.at(-1)}`;
    const attempts = [
      () => vault.open(sealed, ['channel_secret', 'agent_b', 'telegram.bot_token']),
      () => vault.open(sealed, ['channel_secret', 'agent_a', 'telegram.webhook_secret']),
      () => vault.open(sealed, ['llm_key', 'agent_a', 'telegram.bot_token']),
      () => vault.open(altered, ctx),
    ];
    for (const attempt of attempts) {
      expect(attempt).toThrow(VaultError);
      try {
        attempt();
      } catch (err) {
        expect((err as Error).message).not.toContain('plain-secret-xyz');
      }
    }
  });

  it('opens values of previous keys, names a missing key, and reseals under the current one', () => {
    const oldKey = key();
    const newKey = key();
    const sealed = new Vault(oldKey).seal('v', ctx);
    expect(() => new Vault(newKey).open(sealed, ctx)).toThrow(new RegExp(`key ${keyIdOf(oldKey)}`));
    const both = new Vault(newKey, [oldKey]);
    const resealed = both.reseal(sealed, ctx);
    expect(sealedKeyId(resealed)).toBe(keyIdOf(newKey));
    expect(new Vault(newKey).open(resealed, ctx)).toBe('v');
  });
});

describe('vault keys from the environment', () => {
  const logs: string[] = [];
  const logger = createLogger('info', { write: (line: string) => logs.push(line) } as never);

  it('generates a 0600 key file in DATA_DIR when CHANNEL_ENCRYPTION_KEY is unset, warns, and reuses it', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-vault-'));
    const config = loadConfig({ DATA_DIR: dataDir });
    const first = vaultFromConfig(config, logger);
    const file = path.join(dataDir, 'secrets', KEY_FILE_NAME);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(logs.join('')).toContain('CHANNEL_ENCRYPTION_KEY is not set');
    expect(vaultFromConfig(config, logger).currentKeyId).toBe(first.currentKeyId);
    fs.rmSync(dataDir, { recursive: true });
  });

  it('uses CHANNEL_ENCRYPTION_KEY and the previous keys', () => {
    const current = key();
    const previous = key();
    const vault = vaultFromConfig(
      loadConfig({
        CHANNEL_ENCRYPTION_KEY: current.toString('base64'),
        CHANNEL_ENCRYPTION_KEYS_PREVIOUS: ` ${previous.toString('base64')} `,
      }),
      logger,
    );
    expect(vault.keyIds).toEqual([keyIdOf(current), keyIdOf(previous)]);
  });

  it.each([
    ['CHANNEL_ENCRYPTION_KEY', 'short'],
    ['CHANNEL_ENCRYPTION_KEY', randomBytes(16).toString('base64')],
    ['CHANNEL_ENCRYPTION_KEYS_PREVIOUS', `${randomBytes(32).toString('base64')},nope`],
  ])('fails start-up naming %s when it is malformed', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}: .*32 random bytes in base64`));
  });

  it('requires CHANNEL_ENCRYPTION_KEY in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) })).toThrow(
      /CHANNEL_ENCRYPTION_KEY: is required when NODE_ENV=production/,
    );
  });

  it('fails naming the file when the generated key file is damaged', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-vault-'));
    fs.mkdirSync(path.join(dataDir, 'secrets'));
    fs.writeFileSync(path.join(dataDir, 'secrets', KEY_FILE_NAME), 'garbage\n');
    expect(() => vaultFromConfig(loadConfig({ DATA_DIR: dataDir }), logger)).toThrow(ConfigError);
    fs.rmSync(dataDir, { recursive: true });
  });
});
