import { useState } from 'preact/hooks';
import { Button } from '../../ui/button.tsx';
import { channelLabel } from '../../ui/channel-icon.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Field } from '../../ui/field.tsx';
import type { SandboxChannel } from './types.ts';

/** Longest customer message (the API's bound: a WhatsApp or Telegram message holds 4096). */
const TEXT_MAX = 4096;

/** Where the operator writes as the customer: the text, and for a new email thread its subject. */
export function Composer(props: {
  channel: SandboxChannel;
  customer: string;
  /** Set for the first mail of a thread: the subject field is shown. */
  subject: string | undefined;
  onSubject: (subject: string) => void;
  /** Set for a reply in a mail thread: shown, not editable. */
  replySubject: string | undefined;
  onSend: (text: string) => Promise<void>;
}) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!text.trim() || sending) return;
    setSending(true);
    setError(undefined);
    try {
      await props.onSend(text.trim());
      setText('');
    } catch (err) {
      setError(err);
    } finally {
      setSending(false);
    }
  };
  const label = props.channel === 'email' ? 'Your email' : 'Your message';
  return (
    <form class="composer" onSubmit={(e) => void submit(e)}>
      <p class="composer-as muted">
        Writing as sandbox customer <code>{props.customer}</code> on {channelLabel(props.channel)}
      </p>
      {props.subject !== undefined ? (
        <Field label="Subject">
          {(id) => (
            <input
              id={id}
              value={props.subject}
              maxLength={200}
              onInput={(e) => props.onSubject((e.target as HTMLInputElement).value)}
            />
          )}
        </Field>
      ) : null}
      {props.replySubject ? <p class="composer-reply muted">Replying: {props.replySubject}</p> : null}
      <Field label={label}>
        {(id) => (
          <textarea
            id={id}
            rows={props.channel === 'email' ? 4 : 2}
            maxLength={TEXT_MAX}
            value={text}
            placeholder={props.channel === 'email' ? 'Hello, …' : 'Type a message'}
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              // Enter sends in chats (Shift+Enter for a new line); mail bodies keep Enter for lines.
              if (props.channel !== 'email' && e.key === 'Enter' && !e.shiftKey) void submit(e);
            }}
          />
        )}
      </Field>
      <ErrorText error={error} />
      <Button type="submit" variant="primary" disabled={sending || !text.trim()}>
        {sending ? 'Sending…' : props.channel === 'email' ? 'Send email' : 'Send'}
      </Button>
    </form>
  );
}
