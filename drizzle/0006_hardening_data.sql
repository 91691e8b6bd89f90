-- Binds every stored LLM key to its endpoint (issue 12). An openai-compatible key keeps the one base_url its
-- agents agreed on (none or several: it stays without an endpoint and fails closed until an admin stores a new
-- key); an openai or anthropic key keeps its provider's default endpoint. Agents that name a stored key lose
-- their own base_url, so no member-set URL ever receives a stored key again.
WITH uses AS (
  SELECT llm_key_id AS key_id, llm_settings->>'base_url' AS url
    FROM agents
   WHERE llm_key_id IS NOT NULL AND llm_settings->>'base_url' IS NOT NULL
  UNION ALL
  SELECT llm_settings->'fallback'->>'api_key', llm_settings->'fallback'->>'base_url'
    FROM agents
   WHERE llm_settings->'fallback'->>'api_key' IS NOT NULL AND llm_settings->'fallback'->>'base_url' IS NOT NULL
), agreed AS (
  SELECT key_id, min(url) AS url FROM uses GROUP BY key_id HAVING count(DISTINCT url) = 1
)
UPDATE llm_keys SET base_url = agreed.url
  FROM agreed
 WHERE llm_keys.id = agreed.key_id AND llm_keys.provider = 'openai-compatible' AND llm_keys.base_url IS NULL;
--> statement-breakpoint
UPDATE agents SET llm_settings = llm_settings - 'base_url'
 WHERE llm_key_id IS NOT NULL AND llm_settings->>'base_url' IS NOT NULL;
--> statement-breakpoint
UPDATE agents SET llm_settings = jsonb_set(llm_settings, '{fallback}', (llm_settings->'fallback') - 'base_url')
 WHERE llm_settings->'fallback'->>'api_key' IS NOT NULL AND llm_settings->'fallback'->>'base_url' IS NOT NULL;
