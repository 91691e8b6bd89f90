import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { Button } from './button.tsx';
import { ErrorText } from './error-text.tsx';
import './confirm-dialog.css';

/**
 * A modal built on the native <dialog>: the browser traps focus, Escape closes it and the page behind is inert.
 * Render it to open it; it calls onClose when dismissed.
 */
export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby={titleId} onClose={props.onClose}>
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

/**
 * Asks before an action that cannot be undone. With `typeToConfirm`, the confirm button stays disabled until that
 * exact text is typed. A failed action shows its error and keeps the dialog open.
 */
export function ConfirmDialog(props: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  typeToConfirm?: string;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const inputId = useId();
  const blocked = props.typeToConfirm !== undefined && typed.trim() !== props.typeToConfirm;
  const confirm = async (event: Event) => {
    event.preventDefault();
    if (blocked) return;
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <form method="dialog" onSubmit={confirm}>
        <div class="dialog-body">{props.children}</div>
        {props.typeToConfirm !== undefined ? (
          <div class="field">
            <label for={inputId}>
              Type <strong class="dialog-typed">{props.typeToConfirm}</strong> to confirm
            </label>
            <input
              id={inputId}
              autocomplete="off"
              spellcheck={false}
              value={typed}
              onInput={(e) => setTyped(e.currentTarget.value)}
            />
          </div>
        ) : null}
        <ErrorText error={error} />
        <div class="dialog-actions">
          <Button onClick={props.onClose}>Cancel</Button>
          <Button type="submit" variant={props.danger ? 'danger' : 'primary'} disabled={busy || blocked}>
            {busy ? 'Working…' : props.confirmLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
