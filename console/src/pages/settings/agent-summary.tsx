import type { AgentDetail, LlmKey } from './types.ts';
import { providerLabel } from './types.ts';

/** An agent's settings, read-only (what a viewer sees). */
export function AgentSummary(props: { agent: AgentDetail; keys: LlmKey[] }) {
  const { agent } = props;
  const key = props.keys.find((k) => k._id === agent.api_key);
  return (
    <section class="settings-form" aria-labelledby="agent-summary-title">
      <h2 id="agent-summary-title">{agent.name}</h2>
      <p class="muted">Read-only: your role can see the agent’s settings but not change them.</p>
      <dl class="summary-list">
        <dt>Description</dt>
        <dd>{agent.description || '—'}</dd>
        <dt>Status</dt>
        <dd>{agent.status}</dd>
        <dt>LLM</dt>
        <dd>
          {providerLabel(agent.llm_settings.provider)} · {agent.llm_settings.model}
        </dd>
        <dt>LLM key</dt>
        <dd>{key ? key.name : agent.api_key ? 'A project key' : 'None'}</dd>
        <dt>System prompt</dt>
        <dd>
          <pre class="prompt-text">{agent.system_prompt || '—'}</pre>
        </dd>
      </dl>
    </section>
  );
}
