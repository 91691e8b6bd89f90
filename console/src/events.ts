import { useEffect, useRef } from 'preact/hooks';
import { AGENT_EVENT_TYPES, type AgentEventView } from '../../src/events/event-types.ts';

export type AgentEvent = AgentEventView;

const TYPES = [...AGENT_EVENT_TYPES, 'resync'] as const;

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
