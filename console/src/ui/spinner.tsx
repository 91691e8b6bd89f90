/** A loading indicator that screen readers announce. */
export function Spinner(props: { label?: string }) {
  return (
    <span class="spinner" role="status">
      <span class="spinner-dot" aria-hidden="true" />
      <span class="visually-hidden">{props.label ?? 'Loading…'}</span>
    </span>
  );
}
