import type { ReplyButton } from '../channels/types.ts';

/**
 * Quick-reply buttons from any model, with no tool calling: the channel context asks the model to end its reply
 * with one line `[[buttons: First | Second]]`. The line is taken out of the text (and out of the stream) and
 * becomes the reply's buttons, which Telegram shows as an inline keyboard and the widget as buttons.
 */

/** Most buttons on one reply. */
export const QUICK_REPLY_MAX = 10;
/** Longest button label kept (Telegram's callback_data is 64 bytes; labels stay readable in a chat panel). */
export const QUICK_REPLY_LABEL_MAX = 64;

const MARKER = /\[\[\s*buttons\s*:([^\]\n]*)\]\]/gi;
const OPENING = '[[';

/** The instruction added to the channel context when the channel can show buttons. */
export const QUICK_REPLY_INSTRUCTION =
  'To offer the user choices as buttons, end the reply with one line `[[buttons: First option | Second option]]` ' +
  `(at most ${QUICK_REPLY_MAX}, each a few words); that line is shown as buttons, never as text.`;

/** `text` without its markers, and the options of the last one. */
function stripMarkers(text: string): { text: string; options?: string } {
  let options: string | undefined;
  const stripped = text.replace(MARKER, (_match, found: string) => {
    options = found;
    return '';
  });
  return options === undefined ? { text } : { text: stripped.trimEnd(), options };
}

/** Takes every marker out of `text`; the last marker's options become the buttons. */
export function extractQuickReplies(text: string): { text: string; buttons?: ReplyButton[] } {
  const stripped = stripMarkers(text);
  if (stripped.options === undefined) return { text };
  const seen = new Set<string>();
  const buttons: ReplyButton[] = [];
  for (const raw of stripped.options.split('|')) {
    const label = raw.trim().slice(0, QUICK_REPLY_LABEL_MAX);
    if (!label || seen.has(label) || buttons.length >= QUICK_REPLY_MAX) continue;
    seen.add(label);
    buttons.push({ label, value: label });
  }
  if (buttons.length === 0) return { text: stripped.text };
  // A reply that was only the marker still needs words: channels cannot send buttons alone.
  return { text: stripped.text || buttons.map((b) => b.label).join(' / '), buttons };
}

/**
 * Wraps a chunk sink so a marker never reaches the user while streaming: text from the first `[[` on is held
 * back (a trailing `[` too, in case the next chunk completes it) and released by `end()` without the markers.
 */
export function quickReplyStream(onChunk: (text: string) => void): {
  push(chunk: string): void;
  end(): void;
} {
  let held = '';
  return {
    push(chunk) {
      if (held.includes(OPENING)) {
        held += chunk;
        return;
      }
      const text = held + chunk;
      const start = text.indexOf(OPENING);
      const cut = start >= 0 ? start : text.endsWith('[') ? text.length - 1 : text.length;
      held = text.slice(cut);
      if (cut > 0) onChunk(text.slice(0, cut));
    },
    end() {
      const rest = stripMarkers(held).text;
      held = '';
      if (rest) onChunk(rest);
    },
  };
}
