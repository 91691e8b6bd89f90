/** One server-sent event as the events stream sends it (`data` parsed as JSON). */
export type StreamEvent = { id?: string; event: string; data: any };

/**
 * An open `GET …/events` stream read as it arrives: the status, every parsed event, the raw text (comments
 * included), `next(predicate)` to wait for an event, and `close()` (aborts the request: a client disconnect).
 */
export type EventStream = {
  status: number;
  events: StreamEvent[];
  raw: () => string;
  next(predicate: (event: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  close(): void;
  ended: Promise<void>;
};

export async function openEventStream(
  url: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const events: StreamEvent[] = [];
  let text = '';
  let buffer = '';
  const waiters = new Set<() => void>();
  const parseBlock = (block: string) => {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length > 0)
      events.push({ ...(id !== undefined ? { id } : {}), event, data: JSON.parse(data.join('\n')) });
  };
  const ended = (async () => {
    if (!res.body || res.status !== 200) {
      text = await res.text().catch(() => '');
      return;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const chunk = decoder.decode(value, { stream: true });
        text += chunk;
        buffer += chunk;
        const blocks = buffer.split(/\r?\n\r?\n/);
        buffer = blocks.pop() ?? '';
        for (const block of blocks) parseBlock(block);
        for (const wake of waiters) wake();
      }
    } catch {
      // aborted by close()
    }
    for (const wake of waiters) wake();
  })();
  let finished = false;
  void ended.then(() => (finished = true));
  return {
    status: res.status,
    events,
    raw: () => text,
    ended,
    close: () => abort.abort(),
    next: (predicate, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(predicate);
          if (found) {
            cleanup();
            resolve(found);
          } else if (finished) {
            cleanup();
            reject(
              new Error(`stream ended without the event; got ${JSON.stringify(events.map((e) => e.event))}`),
            );
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `no such event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.event))}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}
