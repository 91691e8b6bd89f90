import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { Button } from '../../ui/button.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Field } from '../../ui/field.tsx';
import { duration } from './format.ts';
import type { ConversationDetail, Template } from './types.ts';

/** The operator's reply box: free text, or on WhatsApp outside the 24-hour window a template. */
export function Composer(props: {
  conversation: ConversationDetail;
  conversationPath: string;
  channelsPath: string | undefined;
  onSent: () => void;
}) {
  const { conversation } = props;
  const window = conversation.channel === 'whatsapp' ? conversation.whatsapp_window : null;
  if (conversation.status === 'closed') {
    return (
      <p class="composer-note muted">
        This conversation is closed. The person's next message opens a new one.
      </p>
    );
  }
  if (window && !window.open) {
    return (
      <TemplateForm
        conversationPath={props.conversationPath}
        channelsPath={props.channelsPath}
        closedAt={window.closes_at}
        onSent={props.onSent}
      />
    );
  }
  return (
    <ReplyForm
      conversationPath={props.conversationPath}
      onSent={props.onSent}
      note={
        <>
          {window?.closes_at ? (
            <p class="window-state window-open">
              WhatsApp window open: free text for {duration(Date.parse(window.closes_at) - Date.now())} more.
            </p>
          ) : null}
          {conversation.handoff ? null : (
            <p class="field-hint">The agent keeps answering until you take the conversation over.</p>
          )}
        </>
      }
    />
  );
}

function ReplyForm(props: { conversationPath: string; onSent: () => void; note: preact.ComponentChildren }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', `${props.conversationPath}/messages`, { text });
      setText('');
      props.onSent();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="composer" onSubmit={submit}>
      <Field label="Reply">
        {(id) => (
          <textarea
            id={id}
            rows={3}
            maxLength={4000}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              // Ctrl/Cmd+Enter sends; Enter alone is a new line.
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit(e);
            }}
          />
        )}
      </Field>
      {props.note}
      <ErrorText error={error} />
      <Button type="submit" variant="primary" disabled={busy || !text.trim()}>
        {busy ? 'Sending…' : 'Send reply'}
      </Button>
    </form>
  );
}

type ChannelConfig = { data: { whatsapp: { reengagement_template?: Template } } };

/** Outside WhatsApp's window only an approved template may go out; the channel's re-engagement one is offered. */
function TemplateForm(props: {
  conversationPath: string;
  channelsPath: string | undefined;
  closedAt: string | null;
  onSent: () => void;
}) {
  const [name, setName] = useState('');
  const [language, setLanguage] = useState('en_US');
  const [parameters, setParameters] = useState('');
  const [configured, setConfigured] = useState<Template | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    if (!props.channelsPath) return;
    api<ChannelConfig>('GET', props.channelsPath).then(
      (config) => {
        const template = config.data.whatsapp.reengagement_template;
        if (!template) return;
        setConfigured(template);
        setName(template.name);
        setLanguage(template.language);
        setParameters((template.parameters ?? []).join('\n'));
      },
      () => undefined,
    );
  }, [props.channelsPath]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const list = parameters
        .split('\n')
        .map((p) => p.trim())
        .filter(Boolean);
      await api('POST', `${props.conversationPath}/messages`, {
        template: {
          name: name.trim(),
          language: language.trim(),
          ...(list.length ? { parameters: list } : {}),
        },
      });
      props.onSent();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="composer composer-template" onSubmit={submit}>
      <div class="window-warning" role="status">
        <strong>The WhatsApp 24-hour window is closed.</strong>{' '}
        {props.closedAt ? `It closed ${duration(Date.now() - Date.parse(props.closedAt))} ago. ` : ''}
        WhatsApp only delivers approved template messages until the person writes again.
      </div>
      {configured ? (
        <p class="field-hint">Prefilled with this channel's re-engagement template.</p>
      ) : (
        <p class="field-hint">
          Enter an approved template's name; set a default re-engagement template on the{' '}
          <a href="#/channels">Channels</a> page.
        </p>
      )}
      <Field label="Template name">
        {(id) => (
          <input
            id={id}
            required
            value={name}
            pattern="[a-z0-9_]{1,512}|HX[0-9a-fA-F]{32}"
            onInput={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Template language">
        {(id) => (
          <input id={id} required value={language} onInput={(e) => setLanguage(e.currentTarget.value)} />
        )}
      </Field>
      <Field
        label="Template parameters"
        hint="One per line, in order; {{contact_name}} becomes the person's name."
      >
        {(id) => (
          <textarea
            id={id}
            rows={2}
            value={parameters}
            onInput={(e) => setParameters(e.currentTarget.value)}
          />
        )}
      </Field>
      <ErrorText error={error} />
      <Button type="submit" variant="primary" disabled={busy || !name.trim()}>
        {busy ? 'Sending…' : 'Send template'}
      </Button>
    </form>
  );
}
