import type { ComponentChildren } from 'preact';

/** What a new user sees where there is nothing yet: what this is and what to do next. */
export function EmptyState(props: {
  title: string;
  children?: ComponentChildren;
  action?: ComponentChildren;
}) {
  return (
    <section class="empty-state" aria-label={props.title}>
      <h2>{props.title}</h2>
      {props.children ? <div class="empty-state-body">{props.children}</div> : null}
      {props.action ? <div class="empty-state-action">{props.action}</div> : null}
    </section>
  );
}
