import { useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Field } from '../../ui/field.tsx';
import { type AgentDetail, type LlmKey, type LlmProvider, PROVIDERS } from './types.ts';

/**
 * Create or edit an agent: name, description, status, system prompt, and its LLM (provider, model, one of the
 * project's keys for that provider; a base URL only for a keyless OpenAI-compatible server).
 */
export function AgentForm(props: {
  projectPath: string;
  agent?: AgentDetail;
  keys: LlmKey[];
  onSaved: (agent: AgentDetail, created: boolean) => void;
  onDelete?: () => void;
}) {
  const { agent } = props;
  const [name, setName] = useState(agent?.name ?? '');
  const [description, setDescription] = useState(agent?.description ?? '');
  const [status, setStatus] = useState(agent?.status ?? 'active');
  const [prompt, setPrompt] = useState(agent?.system_prompt ?? '');
  const [provider, setProvider] = useState<LlmProvider>(agent?.llm_settings.provider ?? 'dev');
  const [model, setModel] = useState(agent?.llm_settings.model ?? 'dev');
  const [keyId, setKeyId] = useState(agent?.api_key ?? '');
  const [baseUrl, setBaseUrl] = useState(agent?.llm_settings.base_url ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const keys = props.keys.filter((k) => k.provider === provider);
  const needsKey = provider === 'openai' || provider === 'anthropic';

  const chooseProvider = (value: LlmProvider) => {
    setProvider(value);
    setModel(PROVIDERS.find((p) => p.value === value)?.model ?? '');
    setKeyId(props.keys.find((k) => k.provider === value)?._id ?? '');
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const keyless = provider === 'openai-compatible' && !keyId;
    const body = {
      name,
      description,
      status,
      system_prompt: prompt,
      api_key: provider === 'dev' ? null : keyId || null,
      llm_settings: {
        provider,
        model,
        // PUT merges llm_settings field by field: null clears a base URL left from earlier settings.
        base_url: keyless && baseUrl ? baseUrl : agent ? null : undefined,
      },
    };
    try {
      const result = agent
        ? await api<{ data: AgentDetail }>(
            'PUT',
            `${props.projectPath}/agents/${encodeURIComponent(agent._id)}`,
            body,
          )
        : await api<{ data: AgentDetail }>('POST', `${props.projectPath}/agents`, body);
      props.onSaved(result.data, !agent);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="settings-form" onSubmit={submit} aria-label={agent ? `Edit ${agent.name}` : 'New agent'}>
      <h2>{agent ? `Edit “${agent.name}”` : 'New agent'}</h2>
      <Field label="Name">
        {(id) => (
          <input
            id={id}
            required
            maxLength={200}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Description" hint="For your team; the agent never sees it.">
        {(id) => (
          <input
            id={id}
            maxLength={2000}
            value={description}
            onInput={(e) => setDescription(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="System prompt" hint="How the agent behaves: its role, tone, what it may and may not do.">
        {(id) => (
          <textarea
            id={id}
            rows={8}
            maxLength={100_000}
            value={prompt}
            onInput={(e) => setPrompt(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Status" hint="An inactive agent stores incoming messages but does not answer.">
        {(id) => (
          <select
            id={id}
            value={status}
            onChange={(e) => setStatus(e.currentTarget.value as 'active' | 'inactive')}
          >
            <option value="active">Active</option>
            <option value="inactive">Inactive</option>
          </select>
        )}
      </Field>
      <fieldset class="settings-fieldset">
        <legend>Language model</legend>
        <Field label="LLM provider">
          {(id) => (
            <select
              id={id}
              value={provider}
              onChange={(e) => chooseProvider(e.currentTarget.value as LlmProvider)}
            >
              {PROVIDERS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Model">
          {(id) => (
            <input
              id={id}
              required
              maxLength={200}
              value={model}
              onInput={(e) => setModel(e.currentTarget.value)}
            />
          )}
        </Field>
        {provider !== 'dev' ? (
          <Field
            label="LLM key"
            hint={
              keys.length === 0 ? (
                <>
                  This project has no {provider} key yet: add one under{' '}
                  <a href="#/settings/llm-keys">LLM keys</a>.
                </>
              ) : (
                'One of the project’s stored keys; it is only ever sent to the endpoint stored with it.'
              )
            }
          >
            {(id) => (
              <select
                id={id}
                value={keyId}
                required={needsKey}
                onChange={(e) => setKeyId(e.currentTarget.value)}
              >
                <option value="">{needsKey ? 'Choose a key' : 'No key (a local server)'}</option>
                {keys.map((k) => (
                  <option key={k._id} value={k._id}>
                    {k.name}
                    {k.base_url ? ` (${k.base_url})` : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        {provider === 'openai-compatible' && !keyId ? (
          <Field label="Server URL" hint="The OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1.">
            {(id) => (
              <input
                id={id}
                type="url"
                required
                value={baseUrl}
                onInput={(e) => setBaseUrl(e.currentTarget.value)}
              />
            )}
          </Field>
        ) : null}
      </fieldset>
      <ErrorText error={error} />
      <div class="form-actions">
        <Button type="submit" variant="primary" disabled={busy}>
          {busy ? 'Saving…' : agent ? 'Save agent' : 'Create agent'}
        </Button>
        {props.onDelete ? (
          <Button variant="danger" onClick={props.onDelete}>
            Delete agent…
          </Button>
        ) : null}
      </div>
    </form>
  );
}
