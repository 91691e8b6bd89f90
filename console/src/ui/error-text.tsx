import { ApiError } from '../api.ts';

/** A failed request's message as the operator should read it. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError)
    return error.status === 403 ? `Not allowed: ${error.message}` : error.message;
  return error instanceof Error ? error.message : String(error);
}

/** An inline error message, announced to screen readers. */
export function ErrorText(props: { error: unknown }) {
  if (!props.error) return null;
  return (
    <p class="error-text" role="alert">
      {errorText(props.error)}
    </p>
  );
}
