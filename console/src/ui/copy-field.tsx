import { useEffect, useId, useState } from 'preact/hooks';
import './copy-field.css';
import { Button } from './button.tsx';

/** Copies text with the Clipboard API, or, where it is missing or refused, a selected textarea + execCommand. */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Refused (no permission, insecure context): fall back below.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'visually-hidden';
  document.body.append(area);
  area.select();
  try {
    return document.execCommand('copy');
  } finally {
    area.remove();
  }
}

/**
 * A read-only value with a Copy button. `display` is what is shown when it differs from what is copied (a URL whose
 * credentials should not sit on screen).
 */
export function CopyField(props: { label: string; value: string; display?: string; multiline?: boolean }) {
  const id = useId();
  const [status, setStatus] = useState('');
  useEffect(() => setStatus(''), [props.value]);
  const shown = props.display ?? props.value;
  const copy = async () =>
    setStatus((await copyText(props.value)) ? 'Copied' : 'Copy failed: select and copy');
  return (
    <div class="copy-field">
      <label for={id}>{props.label}</label>
      <div class="copy-field-row">
        {props.multiline ? (
          <textarea id={id} readOnly rows={3} value={shown} onFocus={(e) => e.currentTarget.select()} />
        ) : (
          <input id={id} readOnly value={shown} onFocus={(e) => e.currentTarget.select()} />
        )}
        <Button onClick={() => void copy()} aria-label={`Copy ${props.label}`}>
          Copy
        </Button>
      </div>
      <span class="copy-field-status" role="status">
        {status}
      </span>
    </div>
  );
}
