import { useEffect, useRef } from 'preact/hooks';

/** One live event as the API streams it: ids and codes, never message text. */
export type AgentEvent = {
  id: string;
  type: string;
  agent_id: string;
  conversation_id: string | null;
  message_id: string | null;
  contact_id: string | null;
  data: Record<string, unknown>;
  created_at: string;
};

const TYPES = [
  'message.received',
  'reply.queued',
  'message.status',
  'handoff.started',
  'handoff.ended',
  'conversation.closed',
  'contact.merged',
  'resync',
] as const;

/**
 * Subscribes to an agent's live events (SSE with the session cookie). The browser reconnects on its own and
 * resumes with Last-Event-ID; a `resync` event means events were missed: reload what is shown.
 */
export function useAgentEvents(agentPath: string | undefined, onEvent: (event: AgentEvent) => void): void {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    if (!agentPath) return;
    const source = new EventSource(`${agentPath}/events`);
    const listener = (message: MessageEvent<string>) => {
      try {
        const parsed = message.data ? (JSON.parse(message.data) as Partial<AgentEvent>) : {};
        handler.current({ ...(parsed as AgentEvent), type: message.type });
      } catch {
        // A malformed frame is skipped; the stream goes on.
      }
    };
    for (const type of TYPES) source.addEventListener(type, listener);
    return () => source.close();
  }, [agentPath]);
}
