import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { llmKeySecrets, llmKeys } from '../db/schema.ts';
import { type SealContext, sealedKeyId, type Vault } from '../vault/vault.ts';

/**
 * The single reader and writer of LLM key secrets (table llm_key_secrets), sealed by the credential vault and
 * bound to their key id, so a sealed value copied to another key fails to open.
 */
export const llmKeySealContext = (keyId: string): SealContext => ['llm_key', keyId, 'key'];

/** Opens a stored key; values stored before the vault existed are plaintext until `npm run keys:rotate`. */
export function openLlmKeySecret(vault: Vault, keyId: string, stored: string): string {
  return sealedKeyId(stored) === undefined ? stored : vault.open(stored, llmKeySealContext(keyId));
}

export const LLM_KEY_PROVIDERS = ['openai', 'anthropic', 'openai-compatible'] as const;

export async function createLlmKey(
  db: Db,
  vault: Vault,
  input: {
    id: string;
    organizationId: string;
    projectId: string;
    name: string;
    provider: string;
    /** The endpoint the key is bound to; undefined = the provider's default (required for openai-compatible). */
    baseUrl?: string | undefined;
    key: string;
  },
) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(llmKeys)
      .values({
        id: input.id,
        organizationId: input.organizationId,
        projectId: input.projectId,
        name: input.name,
        provider: input.provider,
        baseUrl: input.baseUrl ?? null,
      })
      .returning();
    if (!row) throw new Error('llm key insert returned nothing');
    await tx
      .insert(llmKeySecrets)
      .values({ keyId: row.id, secret: vault.seal(input.key, llmKeySealContext(row.id)) });
    return row;
  });
}

/** A stored key with the provider and endpoint it is bound to; the key is only ever sent there. */
export type BoundLlmKey = { provider: string; baseUrl: string | null; secret: string };

/** The plaintext key and its bound endpoint, for the moment it is used to call the provider. */
export async function readLlmKeySecret(
  db: Db,
  vault: Vault,
  projectId: string,
  keyId: string,
): Promise<BoundLlmKey | undefined> {
  const [row] = await db
    .select({ secret: llmKeySecrets.secret, provider: llmKeys.provider, baseUrl: llmKeys.baseUrl })
    .from(llmKeySecrets)
    .innerJoin(llmKeys, eq(llmKeys.id, llmKeySecrets.keyId))
    .where(and(eq(llmKeys.id, keyId), eq(llmKeys.projectId, projectId)))
    .limit(1);
  return row
    ? { provider: row.provider, baseUrl: row.baseUrl, secret: openLlmKeySecret(vault, keyId, row.secret) }
    : undefined;
}
