import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../../api.ts';
import { Button } from '../../ui/button.tsx';
import { ChannelIcon, channelLabel } from '../../ui/channel-icon.tsx';
import { errorText } from '../../ui/error-text.tsx';
import { Spinner } from '../../ui/spinner.tsx';
import { TestResult, type TestAnswer } from './details-list.tsx';
import {
  buildBlock,
  type ChannelView,
  type Draft,
  draftFor,
  fieldErrors,
  isChannelConfigured,
  providerDef,
  secretConfigured,
  storedProvider,
} from './form-state.ts';
import { CHANNEL_PROVIDERS, type ChannelKey, TESTABLE } from './providers.ts';
import { ProviderFields } from './provider-fields.tsx';
import { WebhookPanel } from './webhook-panel.tsx';
import { WebsitePreview } from './website-preview.tsx';

type Props = {
  channel: ChannelKey;
  view: ChannelView | undefined;
  /** `/api/v1/channels/organizations/…/agents/<id>/channels` */
  base: string;
  agentId: string;
  /** Re-reads the configuration after a save. */
  onSaved: () => Promise<void>;
};

/** One channel: provider picker, its form, enable/disable and save; then the test and the webhook setup. */
export function ChannelSection(props: Props) {
  const { channel, view } = props;
  const providers = CHANNEL_PROVIDERS[channel];
  const stored = storedProvider(channel, view);
  const [draft, setDraft] = useState<Draft>(() => draftFor(channel, view, stored ?? providers[0]?.id ?? ''));
  const [errors, setErrors] = useState<{ byField: Record<string, string>; other: string | undefined }>({
    byField: {},
    other: undefined,
  });
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [testing, setTesting] = useState(false);
  const [test, setTest] = useState<TestAnswer>();
  const [testError, setTestError] = useState<unknown>();
  // A new configuration (after save or another agent) resets the form to what is stored.
  useEffect(() => {
    setDraft(draftFor(channel, view, storedProvider(channel, view) ?? providers[0]?.id ?? ''));
    setErrors({ byField: {}, other: undefined });
  }, [view, channel]);
  useEffect(() => {
    setTest(undefined);
    setTestError(undefined);
  }, [props.agentId]);

  const def = providerDef(channel, draft.provider);
  const edit = (next: Partial<Draft>) => {
    setSaved(false);
    setDraft({ ...draft, ...next });
  };
  // An error on a nested object (`smtp_config` missing) shows on its first field.
  const firstUnder = (key: string) => def.fields.find((f) => f.path.startsWith(`${key}.`))?.path;
  const owner = (key: string) =>
    def.fields.find((f) => key === f.path || key.startsWith(`${f.path}.`))?.path ?? firstUnder(key);
  const errorFor = (path: string) => Object.entries(errors.byField).find(([key]) => owner(key) === path)?.[1];
  const unplaced = Object.entries(errors.byField).filter(
    ([key]) => key !== 'provider' && key !== 'enabled' && owner(key) === undefined,
  );

  const save = async (event: Event) => {
    event.preventDefault();
    setSaving(true);
    setSaved(false);
    setErrors({ byField: {}, other: undefined });
    try {
      await api('PUT', props.base, { [channel]: buildBlock(channel, view, draft) });
      await props.onSaved();
      setSaved(true);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400)
        setErrors(fieldErrors(channel, err.body, err.message));
      else setErrors({ byField: {}, other: errorText(err) });
    } finally {
      setSaving(false);
    }
  };

  const runTest = async () => {
    setTesting(true);
    setTest(undefined);
    setTestError(undefined);
    try {
      setTest(await api<TestAnswer>('POST', `${props.base}/${channel}/test`));
    } catch (err) {
      const body = err instanceof ApiError ? (err.body as Partial<TestAnswer> | undefined) : undefined;
      if (body && body.success === false) setTest(body as TestAnswer);
      else setTestError(err);
    } finally {
      setTesting(false);
    }
  };

  const configured = isChannelConfigured(channel, view);
  const switching = stored !== undefined && stored !== draft.provider;
  const headingId = `channel-${channel}-heading`;
  return (
    <section class="channel-section" aria-labelledby={headingId} id={`channel-${channel}`}>
      <header class="channel-section-header">
        <ChannelIcon channel={channel} size={24} />
        <h2 id={headingId} tabIndex={-1}>
          {channelLabel(channel)}
        </h2>
        <StatusBadge configured={configured} enabled={Boolean(view?.enabled)} />
      </header>
      <form class="channel-form" onSubmit={(e) => void save(e)} noValidate>
        {providers.length > 1 ? (
          <fieldset class="provider-picker">
            <legend>Provider</legend>
            <div class="provider-options">
              {providers.map((p) => (
                <label key={p.id} class={`provider-option${draft.provider === p.id ? ' selected' : ''}`}>
                  <input
                    type="radio"
                    name={`${channel}-provider`}
                    value={p.id}
                    checked={draft.provider === p.id}
                    onChange={() => {
                      setErrors({ byField: {}, other: undefined });
                      setDraft({ ...draftFor(channel, view, p.id), enabled: draft.enabled });
                    }}
                  />
                  {p.label}
                </label>
              ))}
            </div>
            {errors.byField.provider ? (
              <p class="field-error" role="alert">
                {errors.byField.provider}
              </p>
            ) : null}
          </fieldset>
        ) : null}
        <p class="provider-intro">{def.intro}</p>
        {switching ? (
          <p class="channel-notice" role="note">
            Saving switches this channel from {providerDef(channel, stored).label} to {def.label}; the stored{' '}
            {providerDef(channel, stored).label} settings and secrets are removed.
          </p>
        ) : null}
        <div class={`field field-check${errors.byField.enabled ? ' field-invalid' : ''}`}>
          <label>
            <input
              type="checkbox"
              name="enabled"
              checked={draft.enabled}
              onChange={(e) => edit({ enabled: e.currentTarget.checked })}
            />{' '}
            {channel === 'website' ? 'Widget enabled' : `${channelLabel(channel)} enabled`}
          </label>
          <p class="field-hint">
            {draft.enabled
              ? 'Messages on this channel are answered by the agent.'
              : 'Disabled: settings are kept, webhooks for this channel are refused.'}
          </p>
        </div>
        <ProviderFields
          def={def}
          draft={draft}
          configured={(path) => secretConfigured(channel, view, draft, path)}
          errorFor={errorFor}
          onValue={(path, value) => edit({ values: { ...draft.values, [path]: value } })}
          onSecret={(path, secret) => edit({ secrets: { ...draft.secrets, [path]: secret } })}
        />
        {errors.other || unplaced.length ? (
          <div class="error-text" role="alert">
            {errors.other ? <p>{errors.other}</p> : null}
            {unplaced.map(([key, message]) => (
              <p key={key}>
                {key}: {message}
              </p>
            ))}
          </div>
        ) : null}
        <div class="actions">
          <Button type="submit" variant="primary" disabled={saving}>
            Save {channelLabel(channel)}
          </Button>
          {saving ? <Spinner label="Saving…" /> : null}
          {saved ? (
            <span class="saved-note" role="status">
              Saved
            </span>
          ) : null}
        </div>
      </form>
      {channel === 'website' ? <WebsitePreview draft={draft} agentId={props.agentId} /> : null}
      {TESTABLE.includes(channel) && configured && stored ? (
        <>
          <section class="test-panel" aria-label="Connection test">
            <h3>Connection test</h3>
            <p class="field-hint">Checks the saved settings against {providerDef(channel, stored).label}.</p>
            <div class="actions">
              <Button disabled={testing} onClick={() => void runTest()}>
                Test {channelLabel(channel)}
              </Button>
              {testing ? <Spinner label="Testing…" /> : null}
            </div>
            {test ? <TestResult result={test} /> : null}
            {testError ? (
              <p class="error-text" role="alert">
                {errorText(testError)}
              </p>
            ) : null}
          </section>
          <WebhookPanel
            base={props.base}
            channel={channel as 'whatsapp' | 'telegram' | 'email'}
            provider={stored}
            agentId={props.agentId}
          />
        </>
      ) : null}
    </section>
  );
}

function StatusBadge(props: { configured: boolean; enabled: boolean }) {
  if (!props.configured) return <span class="badge">Not configured</span>;
  return props.enabled ? (
    <span class="badge badge-ok">Enabled</span>
  ) : (
    <span class="badge badge-off">Disabled</span>
  );
}
