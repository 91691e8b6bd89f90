import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';

/** A labelled form control with an optional hint and error; the control gets the generated id. */
export function Field(props: {
  label: string;
  hint?: ComponentChildren;
  error?: string | undefined;
  children: (id: string) => ComponentChildren;
}) {
  const id = useId();
  return (
    <div class={`field${props.error ? ' field-invalid' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.children(id)}
      {props.hint ? <p class="field-hint">{props.hint}</p> : null}
      {props.error ? (
        <p class="field-error" role="alert">
          {props.error}
        </p>
      ) : null}
    </div>
  );
}
