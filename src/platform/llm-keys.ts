import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { llmKeySecrets, llmKeys } from '../db/schema.ts';

/**
 * The single reader and writer of LLM key secrets (table llm_key_secrets). Stored as given until the credential
 * vault lands; that change is confined to `sealSecret` / `openSecret` below.
 */
const sealSecret = (plaintext: string): string => plaintext;
const openSecret = (stored: string): string => stored;

export const LLM_KEY_PROVIDERS = ['openai', 'anthropic', 'openai-compatible'] as const;

export async function createLlmKey(
  db: Db,
  input: {
    id: string;
    organizationId: string;
    projectId: string;
    name: string;
    provider: string;
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
      })
      .returning();
    if (!row) throw new Error('llm key insert returned nothing');
    await tx.insert(llmKeySecrets).values({ keyId: row.id, secret: sealSecret(input.key) });
    return row;
  });
}

/** The plaintext key, for the moment it is used to call the provider. */
export async function readLlmKeySecret(
  db: Db,
  projectId: string,
  keyId: string,
): Promise<string | undefined> {
  const [row] = await db
    .select({ secret: llmKeySecrets.secret })
    .from(llmKeySecrets)
    .innerJoin(llmKeys, eq(llmKeys.id, llmKeySecrets.keyId))
    .where(and(eq(llmKeys.id, keyId), eq(llmKeys.projectId, projectId)))
    .limit(1);
  return row ? openSecret(row.secret) : undefined;
}
