import type { ComponentChildren } from 'preact';

/**
 * WhatsApp markup as WhatsApp shows it, built as elements (never HTML): ```monospace``` blocks, `code`, *bold*,
 * _italic_ and ~strike~ (a marker styles only when it touches text inside and no letter or digit outside), and
 * `> ` quotes. Zero-width spaces the server adds to keep literal markers literal stay in the text, as on a phone.
 */
const INLINE =
  /(?<![\p{L}\p{N}])(?:\*([^\s*](?:[^*\n]*[^\s*])?)\*|_([^\s_](?:[^_\n]*[^\s_])?)_|~([^\s~](?:[^~\n]*[^\s~])?)~|`([^`\n]+)`)(?![\p{L}\p{N}])/u;

function inline(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let rest = text;
  for (let guard = 0; rest && guard < 10_000; guard++) {
    const match = INLINE.exec(rest);
    if (!match) break;
    if (match.index > 0) out.push(rest.slice(0, match.index));
    const [, bold, italic, strike, code] = match;
    if (bold !== undefined) out.push(<strong>{inline(bold)}</strong>);
    else if (italic !== undefined) out.push(<em>{inline(italic)}</em>);
    else if (strike !== undefined) out.push(<s>{inline(strike)}</s>);
    else out.push(<code>{code}</code>);
    rest = rest.slice(match.index + match[0].length);
  }
  if (rest) out.push(rest);
  return out;
}

/** Lines, with `> ` quotes grouped into one block each. */
function lines(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let quote: string[] = [];
  const flush = () => {
    if (quote.length) out.push(<blockquote>{lines(quote.join('\n'))}</blockquote>);
    quote = [];
  };
  text.split('\n').forEach((line, i, all) => {
    if (line.startsWith('> ')) return void quote.push(line.slice(2));
    flush();
    out.push(...inline(line));
    if (i < all.length - 1) out.push('\n');
  });
  flush();
  return out;
}

export function WhatsAppText(props: { text: string }) {
  const parts = props.text.split(/```\n?([\s\S]*?)\n?```/);
  return (
    <>
      {parts.map((part, i) => (i % 2 === 1 ? <pre class="wa-mono">{part}</pre> : <span>{lines(part)}</span>))}
    </>
  );
}
