import type { ComponentChildren } from 'preact';
import './badge.css';

/** A small status label; the tone gives its colour, the text says it all (colour is never the only cue). */
export function Badge(props: {
  tone?: 'ok' | 'warn' | 'danger' | 'muted' | 'info';
  children: ComponentChildren;
}) {
  return <span class={`badge badge-${props.tone ?? 'muted'}`}>{props.children}</span>;
}

/** A success or progress message after an action, announced politely to screen readers. */
export function Notice(props: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {props.children}
    </p>
  );
}
