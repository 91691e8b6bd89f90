import type { ReplyButton } from '../types.ts';

/** Reply-button and list limits (providers.md §3.2, §3.6). */
export const BUTTON_TITLE_MAX = 20;
export const BUTTON_ID_MAX = 256;
export const MAX_REPLY_BUTTONS = 3;
export const MAX_LIST_ROWS = 10;
const ROW_TITLE_MAX = 24;
const ROW_ID_MAX = 200;
const ROW_DESCRIPTION_MAX = 72;
/** The list's open button and the body every interactive message needs. */
const LIST_BUTTON = 'Options';
const DEFAULT_BODY = 'Please choose:';
/** Interactive body text limit. */
export const INTERACTIVE_BODY_MAX = 1024;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Cuts to `max` characters (code points), ending with "…" when something was cut; the cut falls between
 * graphemes, so an accent, a flag or an emoji sequence is kept whole or dropped whole.
 */
export function clip(text: string, max: number): string {
  const trimmed = text.trim();
  if ([...trimmed].length <= max) return trimmed;
  let kept = '';
  let count = 0;
  for (const { segment } of graphemes.segment(trimmed)) {
    const size = [...segment].length;
    if (count + size > max - 1) break;
    kept += segment;
    count += size;
  }
  return `${kept}…`;
}

/** Makes values unique by suffixing repeats (" 2", " 3"…) within `max` characters. */
function unique(values: string[], max: number): string[] {
  const seen = new Set<string>();
  return values.map((value) => {
    let candidate = clip(value, max) || '-';
    for (let n = 2; seen.has(candidate); n++) candidate = `${clip(value, max - 1 - String(n).length)} ${n}`;
    seen.add(candidate);
    return candidate;
  });
}

/** How a set of quick replies travels: reply buttons (1–3), a list (4–10) or numbered text (more). */
export const buttonStyle = (count: number): 'buttons' | 'list' | 'text' =>
  count <= MAX_REPLY_BUTTONS ? 'buttons' : count <= MAX_LIST_ROWS ? 'list' : 'text';

/**
 * Quick replies beyond what interactive messages carry, as numbered lines under the text. `dot` is `\\.` when the
 * lines are markdown source: rendered they read `1. …`, but markdown cannot take them as more items of a numbered
 * list the text ends with (shown from 3 on).
 */
export const numberedOptions = (buttons: ReplyButton[], dot = '.'): string =>
  buttons.map((button, i) => `${i + 1}${dot} ${button.label || button.value}`).join('\n');

/**
 * The Cloud API `interactive` object for 1–10 quick replies: reply buttons (titles ≤ 20, unique ids and
 * titles) or a single-section list (row titles ≤ 24, the full label in the description when cut). A pressed
 * button comes back with its id, which is the button's value.
 */
export function interactiveFor(bodyText: string, buttons: ReplyButton[]): Record<string, unknown> {
  const body = { text: clip(bodyText, INTERACTIVE_BODY_MAX) || DEFAULT_BODY };
  const labels = buttons.map((b) => b.label || b.value);
  if (buttonStyle(buttons.length) === 'buttons') {
    const ids = unique(
      buttons.map((b) => b.value),
      BUTTON_ID_MAX,
    );
    const titles = unique(labels, BUTTON_TITLE_MAX);
    return {
      type: 'button',
      body,
      action: {
        buttons: ids.map((id, i) => ({ type: 'reply', reply: { id, title: titles[i] } })),
      },
    };
  }
  const ids = unique(
    buttons.map((b) => b.value),
    ROW_ID_MAX,
  );
  const titles = unique(labels, ROW_TITLE_MAX);
  const rows = ids.map((id, i) => {
    const label = labels[i] as string;
    const cut = [...label.trim()].length > ROW_TITLE_MAX;
    return { id, title: titles[i], ...(cut ? { description: clip(label, ROW_DESCRIPTION_MAX) } : {}) };
  });
  return { type: 'list', body, action: { button: LIST_BUTTON, sections: [{ rows }] } };
}
