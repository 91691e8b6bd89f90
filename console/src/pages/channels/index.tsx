import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { useSession } from '../../session.tsx';
import { ChannelIcon, channelLabel } from '../../ui/channel-icon.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Spinner } from '../../ui/spinner.tsx';
import { ChannelSection } from './channel-section.tsx';
import { type ChannelView, isChannelConfigured, providerDef, storedProvider } from './form-state.ts';
import { CHANNEL_KEYS, type ChannelKey } from './providers.ts';
import { TelegramQuickStart } from './quick-start.tsx';
import './channels.css';

type Config = Record<ChannelKey, ChannelView> & {
  agent: string;
  analytics?: { total_messages_by_channel?: Record<string, number> };
};

/** The selected agent's channels: a summary of each, and the chosen one's configuration. */
export default function ChannelsPage() {
  const s = useSession();
  if (!s.agent || !s.org || !s.project) {
    return (
      <EmptyState title="Channels">
        Choose an agent in the header (or create one under Settings) to configure its channels.
      </EmptyState>
    );
  }
  if (!s.can('member')) {
    return (
      <EmptyState title="Channels">
        <p>
          Channel settings hold provider credentials, so they are open to members, admins and owners of the
          organization. Your role here is <strong>{s.role ?? 'none'}</strong>: ask an admin to change a
          channel or to give you the member role.
        </p>
      </EmptyState>
    );
  }
  const base = `/api/v1/channels/organizations/${s.org._id}/projects/${s.project._id}/agents/${s.agent._id}/channels`;
  return <ChannelsForAgent key={s.agent._id} base={base} agentId={s.agent._id} agentName={s.agent.name} />;
}

function ChannelsForAgent(props: { base: string; agentId: string; agentName: string }) {
  const [config, setConfig] = useState<Config>();
  const [error, setError] = useState<unknown>();
  const [selected, setSelected] = useState<ChannelKey>();
  const load = useCallback(async () => {
    const body = await api<{ data: Config }>('GET', props.base);
    setConfig(body.data);
  }, [props.base]);
  useEffect(() => {
    load().catch(setError);
  }, [load]);

  if (error) return <ErrorText error={error} />;
  if (!config) return <Spinner label="Loading channels…" />;
  const anyConfigured = CHANNEL_KEYS.some((ch) => ch !== 'website' && isChannelConfigured(ch, config[ch]));
  const current =
    selected ??
    CHANNEL_KEYS.find((ch) => ch !== 'website' && isChannelConfigured(ch, config[ch])) ??
    'telegram';
  const choose = (channel: ChannelKey) => {
    setSelected(channel);
    requestAnimationFrame(() => document.getElementById(`channel-${channel}-heading`)?.focus());
  };
  const counts = config.analytics?.total_messages_by_channel ?? {};
  return (
    <div class="channels-page">
      <h1>Channels for {props.agentName}</h1>
      {anyConfigured ? null : <TelegramQuickStart onStart={() => choose('telegram')} />}
      <nav class="channel-tabs" aria-label="Channels">
        {CHANNEL_KEYS.map((channel) => {
          const view = config[channel];
          const provider = storedProvider(channel, view);
          const configured = isChannelConfigured(channel, view);
          return (
            <button
              key={channel}
              type="button"
              class={`channel-tab${current === channel ? ' current' : ''}`}
              aria-pressed={current === channel}
              onClick={() => choose(channel)}
            >
              <ChannelIcon channel={channel} size={22} />
              <span class="channel-tab-name">{channelLabel(channel)}</span>
              <span class="channel-tab-status">
                {!configured
                  ? 'Not configured'
                  : `${view.enabled ? 'On' : 'Off'}${provider && channel !== 'website' ? ` · ${providerDef(channel, provider).label}` : ''}`}
              </span>
              <span class="channel-tab-count">{counts[channel] ?? 0} messages</span>
            </button>
          );
        })}
      </nav>
      <ChannelSection
        key={current}
        channel={current}
        view={config[current]}
        base={props.base}
        agentId={props.agentId}
        onSaved={load}
      />
    </div>
  );
}
