/**
 * The new text of an email reply, without quoted history and signature (providers.md §9.3 and §13).
 * Heuristics, applied to the plain text in order: attribution lines ("On … wrote:", localised, wrapped
 * over two lines), Outlook header blocks (From:/Sent:, localised) and separators, trailing `>` quotes,
 * the `-- ` signature and mobile footers. When stripping would leave nothing, the full text is kept.
 */

const VERBS = '(wrote|schrieb|a écrit|escribió|scrisse|schreef|escreveu|skrev|napisał)';
/** An attribution's end: "… wrote:", "… a écrit :", or German "… schrieb Name <addr>:". */
const ATTRIBUTION_END = new RegExp(`(${VERBS}\\s*:|\\bschrieb\\s.{1,200}:)\\s*$`, 'i');
/** Lines that open an attribution ("On …", "Am …", "Le …", "El …", "Il …", "Op …", "Em …", "Den …", "W dniu …"). */
const ATTRIBUTION_START = /^(on|am|le|el|il|op|em|den|w dniu)\s/i;
/** Outlook's header block labels, localised: From, Sent/Date, To, Subject. */
const FROM_LABEL = /^\*?(from|von|de|da|van|od|från|fra)\s?:\*?\s/i;
const BLOCK_LABEL =
  /^\*?(sent|date|to|subject|cc|gesendet|datum|an|betreff|envoyé|à|objet|enviado el|para|asunto|inviato|oggetto|verzonden|aan|onderwerp)\s?:\*?/i;
const SEPARATORS = [
  /^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale)\s*-{2,}$/i,
  /^_{10,}$/,
  /^-{2,}\s*forwarded message\s*-{2,}$/i,
];
/** Mobile footers written above the quote (and below the new text). */
const MOBILE_FOOTER =
  /^(sent from my |get outlook for |sent from outlook|envoyé de mon |von meinem .* gesendet)/i;

/** Strips the quoted history and signature from a reply's text. */
export function replyText(full: string): string {
  const lines = full
    .replace(/\r\n?/g, '\n')
    .replace(/\uFEFF/g, '')
    .split('\n');
  const cut = cutIndex(lines);
  let kept = lines.slice(0, cut);
  // The RFC 3676 signature separator: "-- " alone on a line.
  const signature = kept.findIndex((line) => line === '-- ' || line === '--');
  if (signature !== -1) kept = kept.slice(0, signature);
  // Trailing `>` quotes, blank lines and mobile footers.
  while (kept.length > 0) {
    const last = (kept.at(-1) ?? '').trim();
    if (last === '' || last.startsWith('>') || MOBILE_FOOTER.test(last)) kept.pop();
    else break;
  }
  const text = kept.join('\n').trim();
  return text === '' ? full.trim() : text;
}

/** Index of the first line of quoted history, or lines.length when there is none. */
function cutIndex(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    const next = (lines[i + 1] ?? '').trim();
    if (line.startsWith('>')) {
      // An attribution quoted by iOS Mail ("> On …, X wrote:") or a quote block opening the history.
      if (ATTRIBUTION_END.test(line) || isQuoteToEnd(lines, i)) return i;
      continue;
    }
    if (ATTRIBUTION_START.test(line)) {
      if (ATTRIBUTION_END.test(line)) return i;
      // Gmail wraps a long attribution: "On Fri, … <a@b.c>" then "wrote:".
      if (ATTRIBUTION_END.test(next) && next.length < 80) return i;
    }
    if (SEPARATORS.some((separator) => separator.test(line))) return i;
    if (FROM_LABEL.test(line) && isOutlookBlock(lines, i)) return i;
  }
  return lines.length;
}

/** An Outlook header block: a From line followed (within 4 lines) by Sent/Date/To/Subject lines. */
function isOutlookBlock(lines: string[], from: number): boolean {
  let labels = 0;
  for (let j = from + 1; j < Math.min(lines.length, from + 6); j++) {
    if (BLOCK_LABEL.test((lines[j] ?? '').trim())) labels++;
  }
  return labels >= 2;
}

/** True when every non-blank line from `from` on is quoted (the history, not an inline answer). */
function isQuoteToEnd(lines: string[], from: number): boolean {
  return lines.slice(from).every((line) => line.trim() === '' || line.trim().startsWith('>'));
}
