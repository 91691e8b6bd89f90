import { createSseParser } from './sse.ts';

/** A failed call: HTTP status (0 when the server could not be reached), the server's message, Retry-After. */
export class WidgetError extends Error {
  readonly status: number;
  readonly retryAfter: number | undefined;
  constructor(status: number, message: string, retryAfter?: number) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** The stream ended (connection dropped) before `complete` or `error` arrived. */
export class StreamDropped extends Error {}

export type Theme = { primary_color: string; position: string; greeting_message: string };
export type Session = { token: string; visitor_id: string; expires_at: string; verified: boolean };
/** A quick-reply button the agent offered: `value` is sent when it is pressed. */
export type QuickReply = { label: string; value: string };
export type HistoryMessage = {
  id: string;
  role: string;
  content: string;
  status: string;
  created_at: string;
  buttons?: QuickReply[];
};
export type Reply = { conversation_id: string; response: string; buttons?: QuickReply[] };

type Json = Record<string, unknown>;

/**
 * Talks to the public widget API of one agent; keeps the visitor token in localStorage, per agent, shared by
 * every tab: a session another tab starts, refreshes, verifies or forgets is taken up here too (`onChange`
 * when the token changed).
 */
export function createClient(base: string, agentId: string, onChange?: () => void) {
  const root = `${base}/api/v1/widget/${encodeURIComponent(agentId)}`;
  const storageKey = `switchboard:visitor:${agentId}`;
  let session = load();
  window.addEventListener('storage', (event) => {
    if (event.key !== storageKey && event.key !== null) return;
    const next = load();
    if (next?.token === session?.token) return;
    session = next;
    onChange?.();
  });

  function load(): Session | undefined {
    try {
      const raw = localStorage.getItem(storageKey);
      const parsed = raw ? (JSON.parse(raw) as Session) : undefined;
      return parsed && typeof parsed.token === 'string' ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  function save(next: Session | undefined): void {
    session = next;
    try {
      if (next) localStorage.setItem(storageKey, JSON.stringify(next));
      else localStorage.removeItem(storageKey);
    } catch {
      // Storage can be blocked (private mode, sandboxed frames): the session then lasts for this page only.
    }
  }

  async function request(path: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(root + path, { ...init, credentials: 'omit', mode: 'cors' });
    } catch {
      throw new WidgetError(0, 'network');
    }
    if (res.ok) return res;
    let body: Json | undefined;
    try {
      body = (await res.json()) as Json;
    } catch {
      body = undefined;
    }
    const details = body?.details as Json | undefined;
    const retry = Number(res.headers.get('retry-after')) || Number(details?.retry_after) || undefined;
    throw new WidgetError(res.status, String(body?.error ?? res.statusText), retry);
  }

  const post = (path: string, body: Json, token?: string) =>
    request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  async function startSession(extra: Json = {}): Promise<Session> {
    const earlier = session?.token;
    try {
      const res = await post('/session', earlier ? { visitor_token: earlier, ...extra } : extra);
      save(((await res.json()) as { data: Session }).data);
    } catch (err) {
      // An old token that can no longer be refreshed: start over as a new visitor (once).
      if (!(err instanceof WidgetError && err.status === 401 && earlier && !extra.user_hash)) throw err;
      save(undefined);
      const res = await post('/session', extra);
      save(((await res.json()) as { data: Session }).data);
    }
    return session as Session;
  }

  async function token(): Promise<string> {
    if (session && Date.parse(session.expires_at) - 30_000 > Date.now()) return session.token;
    return (await startSession()).token;
  }

  /** Runs a call with the visitor token; on 401 refreshes the session once and tries again. */
  async function authed(call: (token: string) => Promise<Response>): Promise<Response> {
    try {
      return await call(await token());
    } catch (err) {
      if (!(err instanceof WidgetError && err.status === 401)) throw err;
      return call((await startSession()).token);
    }
  }

  return {
    hasSession: () => !!session,
    /** Forgets the visitor: the next call starts a new, unverified session. */
    reset: () => save(undefined),
    async settings(): Promise<Theme> {
      const res = await request('/settings');
      return ((await res.json()) as { data: { theme: Theme } }).data.theme;
    },
    async identify(userIdentifier: string, userHash: string): Promise<Session> {
      return startSession({ user_identifier: userIdentifier, user_hash: userHash });
    },
    async history(): Promise<HistoryMessage[]> {
      const res = await authed((t) => request('/messages', { headers: { authorization: `Bearer ${t}` } }));
      return ((await res.json()) as { data: { messages: HistoryMessage[] } }).data.messages;
    },
    /** Sends `message` and streams the reply; resolves on `complete`, throws WidgetError or StreamDropped. */
    async stream(message: string, onChunk: (text: string) => void, signal?: AbortSignal): Promise<Reply> {
      const res = await authed((t) =>
        request('/messages/stream', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            authorization: `Bearer ${t}`,
          },
          body: JSON.stringify({ message }),
          ...(signal ? { signal } : {}),
        }),
      );
      if (!res.body) throw new StreamDropped();
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      const parse = createSseParser();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch {
          throw new StreamDropped();
        }
        const text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
        for (const { event, data } of parse(chunk.done ? `${text}\n\n` : text)) {
          let payload: Json;
          try {
            payload = JSON.parse(data) as Json;
          } catch {
            continue;
          }
          if (event === 'response_chunk' && typeof payload.content === 'string') onChunk(payload.content);
          else if (event === 'complete') {
            void reader.cancel().catch(() => {});
            return payload as unknown as Reply;
          } else if (event === 'error') {
            throw new WidgetError(Number(payload.status) || 500, String(payload.error ?? 'error'));
          }
        }
        if (chunk.done) throw new StreamDropped();
      }
    },
  };
}

export type Client = ReturnType<typeof createClient>;
