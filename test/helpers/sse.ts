/** One server-sent event as the chat stream sends it. */
export type SseEvent = { event: string; data: any };

/** POSTs and reads a server-sent-event response to its end; returns status and the parsed events in order. */
export async function postSse(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; events: SseEvent[]; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const events: SseEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return { status: res.status, events, text };
}
