import { useState } from 'preact/hooks';
import { api, type Page } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { Notice } from '../../ui/badge.tsx';
import { Button } from '../../ui/button.tsx';
import { ConfirmDialog } from '../../ui/confirm-dialog.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { useResource } from '../../ui/use-resource.ts';
import { AgentForm } from './agent-form.tsx';
import { AgentSummary } from './agent-summary.tsx';
import type { AgentDetail, LlmKey } from './types.ts';

/** The project's agents: pick one to edit (or read, for viewers), create one, delete one. */
export function AgentsTab() {
  const s = useSession();
  const [selected, setSelected] = useState<string | 'new' | undefined>(s.agent?._id);
  const [deleting, setDeleting] = useState<AgentDetail | undefined>();
  const [notice, setNotice] = useState<string>();
  const keys = useResource<Page<LlmKey>>(s.projectPath && `${s.projectPath}/api-keys?limit=100`);
  if (!s.projectPath) {
    return (
      <EmptyState title="No project">Agents live in a project; this organization has none yet.</EmptyState>
    );
  }
  const agents = s.agents as unknown as AgentDetail[];
  const agent = selected === 'new' ? undefined : (agents.find((a) => a._id === selected) ?? agents[0]);
  const writable = s.can('member');

  const saved = (saved: AgentDetail, created: boolean) => {
    setNotice(created ? `Agent “${saved.name}” created.` : `Agent “${saved.name}” saved.`);
    setSelected(saved._id);
    s.reload();
  };
  const remove = async (target: AgentDetail) => {
    await api('DELETE', `${s.projectPath}/agents/${encodeURIComponent(target._id)}`);
    setNotice(`Agent “${target.name}” deleted.`);
    setSelected(undefined);
    s.reload();
  };

  return (
    <div class="settings-split">
      <div class="settings-list">
        <h2>Agents</h2>
        {agents.length === 0 ? (
          <p class="muted">
            No agent yet. An agent answers your contacts on every channel you connect to it.
          </p>
        ) : (
          <ul class="pick-list" aria-label="Agents">
            {agents.map((a) => (
              <li key={a._id}>
                <button
                  type="button"
                  class="pick-item"
                  aria-current={selected !== 'new' && agent?._id === a._id ? 'true' : undefined}
                  onClick={() => setSelected(a._id)}
                >
                  {a.name}
                  <span class="muted"> · {a.status}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        {writable ? (
          <Button variant="primary" onClick={() => setSelected('new')}>
            New agent
          </Button>
        ) : null}
      </div>
      <div class="settings-detail">
        {notice ? <Notice>{notice}</Notice> : null}
        {selected === 'new' && writable ? (
          <AgentForm key="new" projectPath={s.projectPath} keys={keys.data?.data ?? []} onSaved={saved} />
        ) : agent && writable ? (
          <AgentForm
            key={agent._id}
            projectPath={s.projectPath}
            agent={agent}
            keys={keys.data?.data ?? []}
            onSaved={saved}
            onDelete={() => setDeleting(agent)}
          />
        ) : agent ? (
          <AgentSummary agent={agent} keys={keys.data?.data ?? []} />
        ) : null}
      </div>
      {deleting ? (
        <ConfirmDialog
          title={`Delete the agent “${deleting.name}”?`}
          confirmLabel="Delete agent"
          danger
          typeToConfirm={deleting.name}
          onConfirm={() => remove(deleting)}
          onClose={() => setDeleting(undefined)}
        >
          <p>
            Its channels, contacts, conversations and messages are deleted with it. Contacts writing to its
            channels get no answer any more. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
