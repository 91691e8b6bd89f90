/**
 * The new text of an email reply, without quoted history and signature (providers.md §9.3 and §13).
 * Heuristics, applied to the plain text in order: attribution lines ("On … wrote:", localised, wrapped
 * over two lines), Outlook header blocks (From:/Sent:, localised) and separators, trailing `>` quotes,
 * the `-- ` signature and mobile footers. When stripping would leave nothing, the full text is kept.
 */

const VERBS =
  '(wrote|schrieb|a écrit|escribió|scrisse|ha scritto|schreef|escreveu|skrev|napisał|написал\\(а\\)|написал|написала|пишет|写道|寫道)';
/** An attribution's end: "… wrote:", "… a écrit :", "… 写道：", or German "… schrieb Name <addr>:". */
const ATTRIBUTION_END = new RegExp(`(${VERBS}\\s*[:：]|\\bschrieb\\s.{1,200}:)\\s*$`, 'i');
/** Lines that open an attribution ("On …", "Am …", "Le …", "El …", "Il …", "Op …", "Em …", "Den …", "W dniu …"). */
const ATTRIBUTION_START = /^(on|am|le|el|il|op|em|den|w dniu)\s/i;
/** Outlook's header block labels, localised (de, fr, es, pt, it, nl, pl, sv, da/no, ru, ja, zh); `：` is full-width. */
const FROM_LABEL = /^\*?(from|von|de|da|van|od|från|fra|от|差出人|发件人|寄件者)\s?[:：]\*?(\s|$)/i;
const BLOCK_LABEL =
  /^\*?(sent|date|to|subject|cc|gesendet|datum|an|betreff|envoyé|à|objet|enviado el|enviado|para|asunto|assunto|data|inviato|oggetto|verzonden|aan|onderwerp|wysłano|do|temat|skickat|till|ämne|sendt|til|emne|отправлено|дата|кому|тема|копия|送信日時|宛先|件名|发送时间|收件人|主题|抄送|寄件日期|收件者|主旨)\s?[:：]\*?/i;
const SEPARATORS = [
  /^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale)\s*-{2,}$/i,
  /^_{10,}$/,
  /^-{2,}\s*forwarded message\s*-{2,}$/i,
];
/** A horizontal rule as rendered from HTML (`<hr>` above Outlook's header block) or typed. */
const RULE = /^[-_=─━]{10,}$/;
/** A bare attribution without a verb (Gmail ja/zh/ru: "2026年11月28日(土) 16:00 Shop <s@shop.example>:"). */
const ADDRESS_ATTRIBUTION = /<[^<>\s]+@[^<>\s]+>\s*\)?\s*[:：]$/;
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
  // Trailing `>` quotes, blank lines, rules and mobile footers.
  while (kept.length > 0) {
    const last = (kept.at(-1) ?? '').trim();
    if (last === '' || last.startsWith('>') || RULE.test(last) || MOBILE_FOOTER.test(last)) kept.pop();
    else break;
  }
  const text = kept.join('\n').trim();
  return text === '' ? full.trim() : text;
}

/** Index of the first line of quoted history, or lines.length when there is none. */
function cutIndex(lines: string[]): number {
  const quotedToEnd = quotedSuffix(lines);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    const next = (lines[i + 1] ?? '').trim();
    if (line.startsWith('>')) {
      // An attribution quoted by iOS Mail ("> On …, X wrote:") or a quote block opening the history.
      if (ATTRIBUTION_END.test(line) || quotedToEnd[i]) return i;
      continue;
    }
    // Any attribution right above the quoted history, however it opens (zh "… 写道：", ru "… пишет:").
    if ((ADDRESS_ATTRIBUTION.test(line) || ATTRIBUTION_END.test(line)) && quotedToEnd[i + 1]) return i;
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

/**
 * For each line: true when the lines from it on are quoted or blank, at least one quoted (the history,
 * not an inline answer). One pass from the end, so a mail of many quoted lines stays linear.
 */
function quotedSuffix(lines: string[]): boolean[] {
  const flags = new Array<boolean>(lines.length + 1).fill(false);
  let onlyQuotes = true;
  let anyQuote = false;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] ?? '').trim();
    if (line.startsWith('>')) anyQuote = true;
    else if (line !== '') onlyQuotes = false;
    flags[i] = onlyQuotes && anyQuote;
  }
  return flags;
}
