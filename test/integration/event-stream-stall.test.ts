import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishEvents } from '../../src/events/publish.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { openEventStream } from '../helpers/event-stream.ts';
import { createWorkspace, type Workspace } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/loopback-peer.ts';

/**
 * A client that stops reading its event stream (a frozen tab, a half-open connection) is disconnected once a write
 * has waited SSE_STALL_MS, and its slot goes to the next client; a client that reads keeps its stream.
 */
const STREAMS_PER_AGENT = 2;
let app: TestApp;
let ws: Workspace;

beforeAll(async () => {
  app = await startTestApp({
    EVENTS_STREAMS_PER_AGENT: String(STREAMS_PER_AGENT),
    EVENTS_HEARTBEAT_MS: '500',
    SSE_STALL_MS: '1000',
  });
  ws = await createWorkspace(app, 'stall');
});
afterAll(async () => {
  await app?.close();
});

const eventsUrl = () =>
  `${app.url}/api/v1/organizations/${ws.orgId}/projects/${ws.projectId}/agents/${ws.agentId}/events`;

type StalledClient = {
  /** Resumes reading; resolves with how the connection ended ('reset' or 'end') and the events it got. */
  readToEnd: () => Promise<{ ending: string; events: number }>;
  destroy: () => void;
};

/** Opens a stream, reads until its `ready` event, then stops reading (its socket buffers fill up). */
async function stalledClient(): Promise<StalledClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(eventsUrl(), { headers: { authorization: `Bearer ${ws.owner.token}` } }, (res) => {
      expect(res.statusCode).toBe(200);
      let seen = '';
      let ending = '';
      const ended = new Promise<void>((done) => {
        res.on('error', () => {
          ending ||= 'reset';
          done();
        });
        res.on('aborted', () => {
          ending ||= 'reset';
          done();
        });
        res.on('end', () => {
          ending ||= 'end';
          done();
        });
      });
      const onData = (chunk: Buffer) => {
        seen += chunk.toString();
        if (!seen.includes('event: ready')) return;
        res.off('data', onData);
        res.pause();
        resolve({
          readToEnd: async () => {
            res.on('data', (more: Buffer) => (seen += more.toString()));
            res.resume();
            await ended;
            return { ending, events: seen.split('event: conversation.closed').length - 1 };
          },
          destroy: () => req.destroy(),
        });
      };
      res.on('data', onData);
    });
    req.on('error', reject);
  });
}

/** About 12 MB of events: more than the socket buffers on both ends hold, so a client that does not read stalls. */
async function publishBulk(): Promise<void> {
  const pad = 'x'.repeat(100_000);
  for (let batch = 0; batch < 12; batch++) {
    await app.database.transaction((query) =>
      publishEvents(
        query,
        Array.from({ length: 10 }, (_, n) => ({
          agentId: ws.agentId,
          type: 'conversation.closed' as const,
          conversationId: `conv_bulk_${batch}_${n}`,
          data: { pad },
        })),
      ),
    );
  }
}

describe('a client that stops reading its event stream', () => {
  it('is disconnected after SSE_STALL_MS and frees its slot, while a reading client gets every event', async () => {
    const stalled = await stalledClient();
    const reader = await openEventStream(eventsUrl(), ws.owner.token);
    expect(reader.status).toBe(200);
    await reader.next((e) => e.event === 'ready');
    // Both slots are taken: a third client is refused.
    const refused = await openEventStream(eventsUrl(), ws.owner.token);
    expect(refused.status).toBe(429);
    try {
      await publishBulk();
      // The reader kept up: it has all 120 events.
      await reader.next((e) => e.data?.conversation_id === 'conv_bulk_11_9', 60_000);
      expect(reader.events.filter((e) => e.event === 'conversation.closed')).toHaveLength(120);
      // The stalled client's slot is freed by the server (the guard fires a second after a write stalls).
      const replacement = await eventually(async () => {
        const stream = await openEventStream(eventsUrl(), ws.owner.token);
        if (stream.status === 200) return stream;
        stream.close();
        return undefined;
      }, 30_000);
      await replacement.next((e) => e.event === 'ready');
      replacement.close();
      // Its connection was reset, not closed behind the megabytes it never read: once it reads, it finds the reset
      // before the rest of the events.
      const { ending, events } = await stalled.readToEnd();
      expect(ending).toBe('reset');
      expect(events).toBeLessThan(120);
      // The reader's stream is still open: a new event reaches it.
      await app.database.transaction((query) =>
        publishEvents(query, [
          { agentId: ws.agentId, type: 'conversation.closed', conversationId: 'conv_after' },
        ]),
      );
      await reader.next((e) => e.data?.conversation_id === 'conv_after');
    } finally {
      stalled.destroy();
      reader.close();
    }
  });
});
