import type { ImapFlow } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { SKIPPED_KEYWORD, type SyncDeps, syncMailbox } from '../../src/mail/imap-sync.ts';
import type { ImapCursor } from '../../src/mail/imap-store.ts';
import { captureLogger } from '../helpers/logs.ts';

/**
 * syncMailbox against an in-memory stand-in for the few imapflow calls it makes, to reproduce server behaviour
 * Dovecot never shows: a SELECT without UIDNEXT, a FETCH without RFC822.SIZE.
 */
type FakeMessage = { uid: number; raw: Buffer; flags: Set<string> };

type FakeOptions = {
  /** Sent in the SELECT answer unless false (a server omitting UIDNEXT). */
  uidNext?: boolean;
  /** Answers RFC822.SIZE unless false. */
  size?: boolean;
  /** UIDs SEARCH still lists but FETCH answers nothing for (expunged, not yet reported as such). */
  ghosts?: number[];
};

function fakeServer(messages: FakeMessage[], options: FakeOptions = {}) {
  const byUid = new Map(messages.map((m) => [m.uid, m]));
  const highest = () => Math.max(0, ...byUid.keys());
  const commands: string[] = [];
  /** Parses one `a:b` / `a:*` / `a` UID set element. */
  const inSet = (set: string, uid: number) =>
    set.split(',').some((part) => {
      const [from, to = from] = part.split(':');
      const lo = Number(from);
      const hi = to === '*' ? Math.max(highest(), lo) : Number(to);
      if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new Error(`BAD UID set ${set}`);
      return uid >= Math.min(lo, hi) && uid <= Math.max(lo, hi);
    });
  const client = {
    mailbox: {
      path: 'INBOX',
      uidValidity: 7n,
      uidNext: options.uidNext === false ? undefined : highest() + 1,
      exists: byUid.size,
    },
    async search(query: { uid: string; seen?: boolean; unKeyword?: string }) {
      commands.push(`SEARCH ${JSON.stringify(query)}`);
      // Bounds a test of a loop that would otherwise never end.
      if (commands.filter((c) => c.startsWith('SEARCH')).length > 50)
        throw new Error('SEARCH repeated 50 times');
      return [...byUid.values()]
        .filter((m) => inSet(query.uid, m.uid))
        .filter((m) => query.seen !== false || !m.flags.has('\\Seen'))
        .filter((m) => !query.unKeyword || !m.flags.has(query.unKeyword))
        .map((m) => m.uid);
    },
    async *fetch(range: string) {
      commands.push(`FETCH ${range}`);
      for (const m of byUid.values()) {
        if (!inSet(range, m.uid) || options.ghosts?.includes(m.uid)) continue;
        yield options.size === false ? { uid: m.uid } : { uid: m.uid, size: m.raw.length };
      }
    },
    async fetchOne(uid: string, query: { source: boolean | { maxLength?: number } }) {
      const m = byUid.get(Number(uid));
      if (uid === '*') {
        commands.push('FETCH * (UID)');
        const last = byUid.get(highest());
        return last ? { uid: last.uid } : false;
      }
      commands.push(`FETCH ${uid} source ${JSON.stringify(query.source)}`);
      if (!m) return false;
      const max = typeof query.source === 'object' ? query.source.maxLength : undefined;
      return { uid: m.uid, source: max === undefined ? m.raw : m.raw.subarray(0, max) };
    },
    async messageFlagsAdd(uid: string, flags: string[]) {
      for (const flag of flags) byUid.get(Number(uid))?.flags.add(flag);
      return true;
    },
  };
  return { client, commands, byUid };
}

const message = (uid: number, bytes = 100, flags: string[] = []): FakeMessage => ({
  uid,
  raw: Buffer.from(`Message-ID: <m${uid}@example.test>\r\n\r\n${'x'.repeat(bytes)}`),
  flags: new Set(flags),
});

function deps(client: unknown, ingested: Buffer[], maxMessageBytes = 10_000) {
  const saved: ImapCursor[] = [];
  const d: SyncDeps = {
    client: client as ImapFlow,
    limits: { maxMessageBytes, batchSize: 2 },
    logger: captureLogger('debug').logger,
    ingest: async (raw) => {
      ingested.push(raw);
    },
    saveCursor: async (cursor) => {
      saved.push(cursor);
      return true;
    },
  };
  return { deps: d, saved };
}

describe('syncMailbox against servers that omit things', () => {
  it('resyncs a mailbox whose SELECT has no UIDNEXT, then continues from its highest UID', async () => {
    const server = fakeServer([message(3), message(5, 100, ['\\Seen']), message(9)], { uidNext: false });
    const ingested: Buffer[] = [];
    const { deps: d, saved } = deps(server.client, ingested);
    const cursor = await syncMailbox(d, { uidValidity: null, lastUid: 0 });
    expect(cursor).toEqual({ uidValidity: 7, lastUid: 9 });
    expect(ingested.map((raw) => /<(m\d+)@/.exec(raw.toString())?.[1])).toEqual(['m3', 'm9']);
    expect(saved.every((c) => Number.isInteger(c.lastUid))).toBe(true);
    // New mail after it is found from the cursor.
    server.byUid.set(10, message(10));
    await syncMailbox(d, cursor);
    expect(ingested).toHaveLength(3);
  });

  it('resyncs an empty mailbox without UIDNEXT and takes the first message that arrives', async () => {
    const server = fakeServer([], { uidNext: false });
    const ingested: Buffer[] = [];
    const { deps: d } = deps(server.client, ingested);
    const cursor = await syncMailbox(d, { uidValidity: null, lastUid: 0 });
    expect(cursor).toEqual({ uidValidity: 7, lastUid: 0 });
    server.byUid.set(1, message(1));
    expect(await syncMailbox(d, cursor)).toEqual({ uidValidity: 7, lastUid: 1 });
    expect(ingested).toHaveLength(1);
  });

  it('never downloads more than maxMessageBytes of a message whose FETCH has no RFC822.SIZE', async () => {
    const server = fakeServer([message(1, 50_000), message(2, 100)], { size: false });
    const ingested: Buffer[] = [];
    const { deps: d } = deps(server.client, ingested, 10_000);
    const cursor = await syncMailbox(d, { uidValidity: 7, lastUid: 0 });
    expect(cursor).toEqual({ uidValidity: 7, lastUid: 2 });
    // The large one is skipped and marked, as one with a known size would be; never ingested in part.
    expect(ingested.map((raw) => /<(m\d+)@/.exec(raw.toString())?.[1])).toEqual(['m2']);
    expect(server.byUid.get(1)?.flags.has(SKIPPED_KEYWORD)).toBe(true);
    expect(server.byUid.get(1)?.flags.has('\\Seen')).toBe(false);
    const downloads = server.commands.filter((c) => c.startsWith('FETCH 1 source'));
    expect(downloads).toEqual(['FETCH 1 source {"maxLength":10001}']);
  });
});

describe('syncMailbox against UIDs that SEARCH lists and FETCH does not answer', () => {
  it('passes a whole batch the server no longer has and goes on to the next, searching a bounded number of times', async () => {
    const server = fakeServer([message(1), message(2), message(3)], { ghosts: [1, 2] });
    const ingested: Buffer[] = [];
    const { deps: d } = deps(server.client, ingested);
    const cursor = await syncMailbox(d, { uidValidity: 7, lastUid: 0 });
    expect(cursor).toEqual({ uidValidity: 7, lastUid: 3 });
    expect(ingested.map((raw) => /<(m\d+)@/.exec(raw.toString())?.[1])).toEqual(['m3']);
  });
});
