/** One server-sent event: its name and its data lines joined by newlines. */
export type SseEvent = { event: string; data: string };

/**
 * Incremental server-sent events parser (the text/event-stream framing: fields per line, events separated
 * by a blank line). Feed it decoded text as it arrives; it returns every event completed so far.
 */
export function createSseParser(): (text: string) => SseEvent[] {
  let buffer = '';
  // A chunk ending in CR is held back: its LF may open the next chunk, and CRLF is one line break, not two.
  let carry = '';
  return (text) => {
    let input = carry + text;
    carry = input.endsWith('\r') ? '\r' : '';
    if (carry) input = input.slice(0, -1);
    buffer += input.replace(/\r\n?/g, '\n');
    const events: SseEvent[] = [];
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length) events.push({ event, data: data.join('\n') });
    }
    return events;
  };
}
