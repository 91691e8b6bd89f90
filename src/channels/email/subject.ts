/** Reply and forward prefixes, English and localised (Re, Aw, Sv, Antw, Réf, Fwd…), stacked or counted (Re[2]:). */
const PREFIX = /^\s*(re|aw|sv|vs|antw|ref|réf|rif|odp|fw|fwd|wg|tr)\s*(\[\d+\])?\s*:\s*/i;

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
