/**
 * Reply and forward prefixes, English and as localised clients (Outlook above all) write them: de AW/WG, nl
 * Antw/Doorst, sv/da/no SV/VB/VS, fi VS/VL, fr TR/Réf, it Rif, pl Odp/PD, pt-BR RES/ENC, es RV, tr YNT, hu
 * TOV, zh 回复/答复/回覆/转发/轉寄, ko 회신/전달, el ΑΠ/ΣΧΕΤ/ΠΡΘ, he השב/העבר; stacked or counted (Re[2]:), with
 * an ASCII or a full-width colon (CJK clients write `：`).
 */
const PREFIX =
  /^\s*(re|aw|sv|vs|vb|vl|antw|doorst|ref|réf|rif|odp|pd|res|enc|rv|ynt|tov|fw|fwd|wg|tr|答复|回复|回覆|转发|轉寄|회신|전달|απ|σχετ|πρθ|השב|העבר)\s*(\[\d+\])?\s*[:：]\s*/iu;

/** The thread's subject: the mail's subject without reply/forward prefixes. */
export function threadSubject(subject: string): string {
  let rest = subject;
  for (let i = 0; i < 10 && PREFIX.test(rest); i++) rest = rest.replace(PREFIX, '');
  return rest.trim();
}

/** The subject of a reply in the thread: `Re: <thread subject>`, never `Re: Re:`. */
export function replySubject(subject: string | undefined): string {
  const base = threadSubject(subject ?? '');
  return base ? `Re: ${base}` : 'Re: your message';
}
