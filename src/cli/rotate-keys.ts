import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openConfiguredDatabase } from '../server.ts';
import { vaultFromConfig } from '../vault/keys.ts';
import { rotateSecrets, secretsByKey } from '../vault/rotate.ts';

/**
 * `npm run keys:rotate`: re-encrypt every stored secret under CHANNEL_ENCRYPTION_KEY, opening older values with
 * CHANNEL_ENCRYPTION_KEYS_PREVIOUS. Safe while servers run (on PostgreSQL); resumable; prints what remains per key.
 */
try {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, process.stderr);
  const vault = vaultFromConfig(config, logger);
  const { database, release } = await openConfiguredDatabase(config);
  try {
    process.stdout.write(`Re-encrypting under key ${vault.currentKeyId} …\n`);
    const report = await rotateSecrets(database, vault, {
      onBatch: (r) =>
        process.stdout.write(
          `  channel secrets ${r.channelSecrets}, LLM keys ${r.llmKeys}, event webhook secrets ${r.eventWebhookSecrets}\n`,
        ),
    });
    const remaining = await secretsByKey(database);
    process.stdout.write(
      `Done: ${report.channelSecrets} channel secrets, ${report.llmKeys} LLM keys and ${report.eventWebhookSecrets} event webhook secrets re-encrypted.\n` +
        `Stored values per key: ${JSON.stringify(remaining)}\n` +
        (Object.keys(remaining).every((id) => id === vault.currentKeyId)
          ? 'Every value uses the current key: older keys can be removed from CHANNEL_ENCRYPTION_KEYS_PREVIOUS.\n'
          : 'Some values still use other keys (written meanwhile by a server with an older key?): run again.\n'),
    );
  } finally {
    await database.close();
    release();
  }
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
  process.exit(1);
}
