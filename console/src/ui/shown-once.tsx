import { useId, useState } from 'preact/hooks';
import { Button } from './button.tsx';
import './shown-once.css';

/** A secret the server returns a single time: a read-only field, a copy button and a clear warning. */
export function ShownOnce(props: { label: string; value: string; onDone: () => void }) {
  const id = useId();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
    } catch {
      // No clipboard permission (plain http): select the text so Ctrl+C copies it.
      (document.getElementById(id) as HTMLInputElement | null)?.select();
      document.execCommand('copy');
    }
    setCopied(true);
  };
  return (
    <section class="shown-once" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{props.label}</h3>
      <p class="shown-once-warning" role="alert">
        Copy it now: it is shown only this once. Switchboard stores only a hash and cannot show it again.
      </p>
      <div class="shown-once-row">
        <label for={id} class="visually-hidden">
          {props.label}
        </label>
        <input id={id} readOnly value={props.value} onFocus={(e) => e.currentTarget.select()} />
        <Button onClick={() => void copy()}>{copied ? 'Copied' : 'Copy'}</Button>
      </div>
      <Button variant="ghost" onClick={props.onDone}>
        I have stored it
      </Button>
    </section>
  );
}
