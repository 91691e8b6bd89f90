import { CopyField } from '../../ui/copy-field.tsx';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `bot_username` → "Bot username". */
export const humanKey = (key: string) => {
  const words = key
    .split('_')
    .map((word) => (ACRONYMS.has(word) ? word.toUpperCase() : word))
    .join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};
const ACRONYMS = new Set(['url', 'imap', 'sns', 'ses', 'uid', 'api', 'mime', 'arns', 'dkim', 'smtp']);

const URL_PATTERN = /^https?:\/\/\S+$/;
/** A URL's password (`https://inbound:<secret>@host/…`) is copied, never shown. */
export const maskCredentials = (url: string) => url.replace(/^(https?:\/\/[^:/@]+):[^@/]+@/, '$1:••••••@');
/** Keys whose text is an instruction to read, not a value. */
const PROSE = new Set(['instructions', 'paste_into', 'hint', 'signature']);
const MAX_DEPTH = 3;

/** Unix seconds under a `…_date` key (Telegram's last_error_date) read as a date. */
function formatValue(value: unknown, key = ''): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number' && key.endsWith('_date')) return new Date(value * 1000).toLocaleString();
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.map((item) => formatValue(item)).join(', ');
  return String(value);
}

/**
 * A provider's answer (test details, webhook info) as a readable list: URLs get a Copy button, instructions read as
 * text, `steps` as a numbered list, nested objects as their own sub-list.
 */
export function DetailsList(props: { value: Record<string, unknown>; depth?: number }) {
  const depth = props.depth ?? 0;
  const entries = Object.entries(props.value);
  if (!entries.length) return null;
  return (
    <dl class="details-list">
      {entries.map(([key, value]) => {
        const label = humanKey(key);
        if (typeof value === 'string' && URL_PATTERN.test(value)) {
          return (
            <div key={key} class="details-row details-wide">
              <CopyField label={label} value={value} display={maskCredentials(value)} />
            </div>
          );
        }
        if (key === 'steps' && Array.isArray(value)) {
          return (
            <div key={key} class="details-row details-wide">
              <dt>{label}</dt>
              <dd>
                <ol>
                  {value.map((step, i) => (
                    <li key={i}>{String(step)}</li>
                  ))}
                </ol>
              </dd>
            </div>
          );
        }
        if (isObject(value) && depth < MAX_DEPTH) {
          return (
            <div key={key} class="details-row details-wide">
              <dt>{label}</dt>
              <dd>
                <DetailsList value={value} depth={depth + 1} />
              </dd>
            </div>
          );
        }
        return (
          <div key={key} class={`details-row${PROSE.has(key) ? ' details-wide' : ''}`}>
            <dt>{label}</dt>
            <dd class={PROSE.has(key) ? 'details-prose' : undefined}>
              {isObject(value) ? JSON.stringify(value) : formatValue(value, key)}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}

/** What a connection test answered: the spec's success {message, details} or failure {error, details}. */
export type TestAnswer =
  | { success: true; message: string; details: Record<string, unknown> }
  | { success: false; error: string; details?: string | Record<string, unknown> };

export function TestResult(props: { result: TestAnswer }) {
  const { result } = props;
  return (
    <div class={`test-result ${result.success ? 'test-ok' : 'test-failed'}`} role="status">
      <p class="test-headline">
        <strong>{result.success ? 'Test passed: ' : 'Test failed: '}</strong>
        {result.success ? result.message : result.error}
      </p>
      {typeof result.details === 'string' ? <p class="test-detail">{result.details}</p> : null}
      {isObject(result.details) ? <DetailsList value={result.details} /> : null}
    </div>
  );
}
