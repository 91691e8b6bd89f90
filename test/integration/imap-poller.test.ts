import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imapConfig } from '../../src/channels/email/imap-config.ts';
import { checkImapMailbox, mailboxKey } from '../../src/channels/email/imap-client.ts';
import { DEFAULT_POLLER_TIMINGS, ImapPoller, type PollerTimings } from '../../src/mail/imap-poller.ts';
import { ImapMailboxStore, readImapStatus } from '../../src/mail/imap-store.ts';
import { SKIPPED_KEYWORD } from '../../src/mail/imap-sync.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type Dovecot, skipWithoutDovecot, startDovecot } from '../helpers/dovecot.ts';
import { createAgent, createWorkspace, type Workspace } from '../helpers/fixtures.ts';
import { captureLogger } from '../helpers/logs.ts';
import { freePort } from '../helpers/free-port.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { findLeaks, randomSecret } from '../helpers/secrets.ts';

/** The IMAP poller against a real Dovecot, with a recording ingest in place of the mail pipeline. */
const FAST: PollerTimings = {
  ...DEFAULT_POLLER_TIMINGS,
  leaseTtlMs: 3_000,
  leaseRetryMs: 100,
  reconnectBaseMs: 50,
  reconnectMaxMs: 400,
};

const mail = (id: string, body = 'Hello there') =>
  [
    'From: Ann <ann@example.test>',
    'To: bot@example.test',
    `Subject: Question ${id}`,
    `Message-ID: <${id}@example.test>`,
    'Date: Sun, 29 Nov 2026 10:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');

const messageIdOf = (raw: Buffer) => /^Message-ID: <([^@>]+)@/im.exec(raw.toString('latin1'))?.[1];

type Recorder = {
  ids: string[];
  ingest: (raw: Buffer) => Promise<void>;
};

/** An ingest that records each message's Message-ID once it "commits". */
function recorder(before?: (id: string | undefined, attempt: number) => Promise<void>): Recorder {
  const ids: string[] = [];
  let attempt = 0;
  return {
    ids,
    ingest: async (raw) => {
      const id = messageIdOf(raw);
      await before?.(id, attempt++);
      ids.push(id ?? '?');
    },
  };
}

/**
 * A scripted IMAP server on 127.0.0.1, for server behaviour Dovecot never shows: answers CAPABILITY and LOGOUT,
 * and every other command with `answer` (the untagged lines and the tagged result, without CRLF).
 */
async function scriptedImapServer(answer: (tag: string, line: string, command: string) => string) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setEncoding('latin1');
    socket.write('* OK [CAPABILITY IMAP4rev1] scripted server ready\r\n');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const [tag = '*', first = '', second = ''] = line.split(' ');
        const command = (first.toUpperCase() === 'UID' ? `UID ${second}` : first).toUpperCase();
        if (command === 'CAPABILITY') socket.write(`* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`);
        else if (command === 'LOGOUT') socket.end(`* BYE\r\n${tag} OK bye\r\n`);
        else socket.write(`${answer(tag, line, command)}\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe.skipIf(skipWithoutDovecot)('IMAP poller against Dovecot', () => {
  let dovecot: Dovecot;
  let app: TestApp;
  let ws: Workspace;
  const captured = captureLogger('debug');
  const pollers: ImapPoller[] = [];
  let userCount = 0;

  // Dovecot, the database and the app start together: give a loaded machine room.
  beforeAll(async () => {
    dovecot = await startDovecot();
    app = await startTestApp();
    ws = await createWorkspace(app);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(pollers.map((p) => p.stop()));
    await app?.close();
    await dovecot?.close();
    const leaks = findLeaks(captured.lines.map((text, i) => ({ where: `poller log ${i}`, text })));
    expect(leaks).toEqual([]);
  });

  /** A fresh agent and mailbox user, so each test has its own cursor and mail. */
  async function mailbox() {
    const user = `user${++userCount}`;
    const password = randomSecret('imap-pw-');
    dovecot.setUser(user, password);
    const agentId = await createAgent(app, ws.owner.token, ws.orgId, ws.projectId);
    const config = imapConfig.parse({
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      username: user,
      password,
    });
    return { user, password, agentId, config };
  }

  function poller(
    box: Awaited<ReturnType<typeof mailbox>>,
    ingest: (raw: Buffer) => Promise<void>,
    options: {
      holder?: string;
      password?: string;
      maxMessageBytes?: number;
      mailbox?: string;
      port?: number;
      timings?: Partial<PollerTimings>;
    } = {},
  ): ImapPoller {
    const p = new ImapPoller({
      config: {
        ...box.config,
        ...(options.mailbox ? { mailbox: options.mailbox } : {}),
        ...(options.port ? { port: options.port } : {}),
      },
      password: async () => options.password ?? box.password,
      store: new ImapMailboxStore(app.database.query, box.agentId, options.holder ?? 'holder-a'),
      ingest,
      logger: captured.logger,
      limits: { maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024, batchSize: 2 },
      timings: { ...FAST, ...options.timings },
    });
    pollers.push(p);
    p.start();
    return p;
  }

  const status = (agentId: string) => readImapStatus(app.database.query, agentId);

  it('ingests unseen backlog and new mail once each, flags it \\Seen, and resumes from the stored cursor', async () => {
    const box = await mailbox();
    const seenBefore = await dovecot.deliver(box.user, mail('already-read'));
    await dovecot.deliver(box.user, mail('backlog-1'));
    // A message read by a person before the channel existed is not answered.
    const first = await dovecot.flags(box.user, seenBefore);
    expect(first.has('\\Seen')).toBe(false);
    await dovecot.addFlags(box.user, seenBefore, ['\\Seen']);
    const rec = recorder();
    const p = poller(box, rec.ingest);
    await eventually(() => (rec.ids.length >= 1 ? true : undefined));
    const uids: number[] = [];
    for (const id of ['new-1', 'new-2', 'new-3']) uids.push(await dovecot.deliver(box.user, mail(id)));
    await eventually(() => (rec.ids.length >= 4 ? true : undefined));
    expect(rec.ids).toEqual(['backlog-1', 'new-1', 'new-2', 'new-3']);
    for (const uid of uids) expect((await dovecot.flags(box.user, uid)).has('\\Seen')).toBe(true);
    const after = await eventually(async () => {
      const s = await status(box.agentId);
      return s?.last_uid === uids.at(-1) ? s : undefined;
    });
    expect(after).toMatchObject({ state: 'connected', held: true, error: null });
    expect(after.last_poll_at).not.toBeNull();

    await p.stop();
    expect((await status(box.agentId))?.state).toBe('stopped');
    const rec2 = recorder();
    poller(box, rec2.ingest);
    await dovecot.deliver(box.user, mail('after-restart'));
    await eventually(() => (rec2.ids.length >= 1 ? true : undefined));
    await eventually(async () =>
      (await status(box.agentId))?.last_uid === (uids.at(-1) ?? 0) + 1 ? true : undefined,
    );
    expect(rec2.ids).toEqual(['after-restart']);
  });

  it('flags a message \\Seen only after ingest succeeded, retrying a failed ingest', async () => {
    const box = await mailbox();
    const gate = Promise.withResolvers<void>();
    const failures: number[] = [];
    const rec = recorder(async (_id, attempt) => {
      if (attempt === 0) {
        failures.push(attempt);
        throw new Error('database unavailable');
      }
      await gate.promise;
    });
    poller(box, rec.ingest);
    const uid = await dovecot.deliver(box.user, mail('retry-me'));
    await eventually(() => (failures.length === 1 ? true : undefined));
    // The first ingest failed and the retry has not committed yet: still unseen, cursor not past it.
    expect((await dovecot.flags(box.user, uid)).has('\\Seen')).toBe(false);
    expect((await status(box.agentId))?.last_uid ?? 0).toBeLessThan(uid);
    gate.resolve();
    await eventually(async () => ((await dovecot.flags(box.user, uid)).has('\\Seen') ? true : undefined));
    expect(rec.ids).toEqual(['retry-me']);
    expect(captured.lines.some((line) => line.includes('IMAP message ingest failed; will retry'))).toBe(true);
  });

  it('resyncs from the unseen messages when UIDVALIDITY changes', async () => {
    const box = await mailbox();
    const rec = recorder();
    const p = poller(box, rec.ingest);
    await dovecot.deliver(box.user, mail('before-change'));
    await eventually(() => (rec.ids.length === 1 ? true : undefined));
    await p.stop();
    await dovecot.setUidValidity(box.user, 4242);
    await dovecot.deliver(box.user, mail('after-change'));
    const rec2 = recorder();
    poller(box, rec2.ingest);
    await eventually(() => (rec2.ids.length >= 1 ? true : undefined));
    await eventually(async () => ((await status(box.agentId))?.uid_validity === 4242 ? true : undefined));
    // The message done before the change is \Seen, so the resync leaves it alone.
    expect(rec2.ids).toEqual(['after-change']);
    expect(captured.lines.some((line) => line.includes('IMAP UIDVALIDITY changed'))).toBe(true);
  });

  it('resyncs when UIDVALIDITY changes while the session is open', async () => {
    const box = await mailbox();
    const rec = recorder();
    poller(box, rec.ingest);
    await dovecot.deliver(box.user, mail('before-live-change'));
    await eventually(() => (rec.ids.length === 1 ? true : undefined));
    await dovecot.setUidValidity(box.user, 5151);
    await dovecot.deliver(box.user, mail('after-live-change'));
    await eventually(() => (rec.ids.length >= 2 ? true : undefined), 20_000);
    await eventually(
      async () => ((await status(box.agentId)).uid_validity === 5151 ? true : undefined),
      20_000,
    );
    expect(rec.ids).toEqual(['before-live-change', 'after-live-change']);
  });

  it('reconnects after Dovecot restarts and reports the outage as an error state', async () => {
    const box = await mailbox();
    const rec = recorder();
    poller(box, rec.ingest);
    await eventually(async () => ((await status(box.agentId))?.state === 'connected' ? true : undefined));
    await dovecot.stop();
    try {
      const down = await eventually(async () => {
        const s = await status(box.agentId);
        return s?.state === 'error' ? s : undefined;
      });
      expect(down.error).toMatch(/ECONNREFUSED|closed/);
    } finally {
      await dovecot.start();
    }
    await dovecot.deliver(box.user, mail('after-outage'));
    await eventually(() => (rec.ids.length === 1 ? true : undefined), 20_000);
    expect(rec.ids).toEqual(['after-outage']);
    await eventually(async () => ((await status(box.agentId)).state === 'connected' ? true : undefined));
  });

  it('shows a wrong password as an error state and in the mailbox check, never logging it', async () => {
    const box = await mailbox();
    const wrong = randomSecret('wrong-pw-');
    const rec = recorder();
    poller(box, rec.ingest, { password: wrong });
    const s = await eventually(async () => {
      const current = await status(box.agentId);
      return current?.state === 'error' ? current : undefined;
    });
    expect(s.error).toMatch(/^authentication failed/);
    const check = await checkImapMailbox(box.config, wrong);
    expect(check).toEqual({ ok: false, error: expect.stringMatching(/^authentication failed/) });
    expect(await checkImapMailbox(box.config, box.password)).toEqual({ ok: true, messages: 0 });
    const missing = await checkImapMailbox({ ...box.config, mailbox: 'NoSuchFolder' }, box.password);
    expect(missing.ok).toBe(false);
    const logged = captured.lines.join('\n');
    expect(logged).toContain('IMAP connection failed; reconnecting');
    expect(logged).not.toContain(wrong);
    expect(logged).not.toContain(box.password);
  });

  /** The first "reconnecting" log line of `agentId`'s poller, once there is one. */
  const reconnectLine = (agentId: string) =>
    eventually(() =>
      captured.lines
        .map(
          (text) => JSON.parse(text) as { agentId?: string; msg?: string; err?: string; retryInMs?: number },
        )
        .find((entry) => entry.agentId === agentId && entry.msg === 'IMAP connection failed; reconnecting'),
    );

  it('waits authRetryMs after a refused login, not the short reconnect backoff that would lock the account', async () => {
    const box = await mailbox();
    const rec = recorder();
    const authRetryMs = 600_000;
    poller(box, rec.ingest, { password: randomSecret('wrong-pw-'), timings: { authRetryMs } });
    const line = await reconnectLine(box.agentId);
    expect(line.err).toMatch(/^authentication failed/);
    // The chosen wait, not a measured one: at least half of authRetryMs (the jitter), far above reconnectMaxMs.
    expect(line.retryInMs).toBeGreaterThanOrEqual(authRetryMs / 2);
    expect(line.retryInMs).toBeLessThanOrEqual(authRetryMs);
  });

  it('retries a connection failure with the short backoff', async () => {
    const box = await mailbox();
    const rec = recorder();
    poller(box, rec.ingest, { timings: { authRetryMs: 600_000 }, port: await freePort() });
    const line = await reconnectLine(box.agentId);
    expect(line.err).toMatch(/ECONNREFUSED/);
    expect(line.retryInMs).toBeLessThanOrEqual(FAST.reconnectMaxMs);
  });

  it('never stores or logs the password when a server echoes it in its refusal', async () => {
    // A server that repeats the failed LOGIN command, password included, in its NO (some do).
    const echoing = await scriptedImapServer(
      (tag, line) => `${tag} NO [AUTHENTICATIONFAILED] rejected: ${line}`,
    );
    try {
      const box = await mailbox();
      const port = echoing.port;
      poller(box, recorder().ingest, { port, timings: { authRetryMs: 600_000 } });
      const s = await eventually(async () => {
        const current = await status(box.agentId);
        return current.state === 'error' ? current : undefined;
      });
      expect(s.error).toMatch(/^authentication failed: rejected: /);
      expect(s.error).not.toContain(box.password);
      expect(captured.lines.filter((line) => line.includes(box.password))).toEqual([]);
      // The channel test route's check scrubs it too.
      const check = await checkImapMailbox({ ...box.config, port }, box.password);
      expect(check.ok).toBe(false);
      expect(JSON.stringify(check)).not.toContain(box.password);
    } finally {
      await echoing.close();
    }
  });

  it('backs off further when every session fails after opening the mailbox (a message the server cannot FETCH)', async () => {
    // Gmail answers a message it cannot serve with "NO [UNAVAILABLE] Some messages could not be FETCHed".
    const gmailLike = await scriptedImapServer((tag, _line, command) => {
      if (command === 'LOGIN') return `${tag} OK logged in`;
      if (command === 'LIST') return `* LIST (\\HasNoChildren) "/" INBOX\r\n${tag} OK listed`;
      if (command === 'SELECT') {
        return [
          '* 1 EXISTS',
          '* OK [UIDVALIDITY 3] UIDs valid',
          '* OK [UIDNEXT 2] next',
          '* OK [PERMANENTFLAGS (\\Seen \\*)] flags',
          `${tag} OK [READ-WRITE] selected`,
        ].join('\r\n');
      }
      if (command === 'UID SEARCH') return `* SEARCH 1\r\n${tag} OK searched`;
      if (command === 'UID FETCH')
        return `${tag} NO [UNAVAILABLE] Some messages could not be FETCHed (Failure)`;
      return `${tag} OK`;
    });
    try {
      const box = await mailbox();
      poller(box, recorder().ingest, { port: gmailLike.port });
      const attempts = await eventually(() => {
        const found = captured.lines
          .map(
            (text) => JSON.parse(text) as { agentId?: string; msg?: string; attempt?: number; err?: string },
          )
          .filter(
            (entry) => entry.agentId === box.agentId && entry.msg === 'IMAP connection failed; reconnecting',
          );
        return found.length >= 4 ? found.slice(0, 4) : undefined;
      });
      expect(attempts[0]?.err).toMatch(/could not be FETCHed/);
      // Each failure in a row counts (a fresh connection that opened the mailbox is not yet a working one).
      expect(attempts.map((entry) => entry.attempt)).toEqual([0, 1, 2, 3]);
    } finally {
      await gmailLike.close();
    }
  });

  it('skips and marks a message over the size limit, and keeps going', async () => {
    const box = await mailbox();
    const rec = recorder();
    poller(box, rec.ingest, { maxMessageBytes: 2_000 });
    const big = await dovecot.deliver(box.user, mail('too-big', 'x'.repeat(5_000)));
    const small = await dovecot.deliver(box.user, mail('small'));
    await eventually(() => (rec.ids.length === 1 ? true : undefined));
    expect(rec.ids).toEqual(['small']);
    const flags = await dovecot.flags(box.user, big);
    expect(flags.has(SKIPPED_KEYWORD)).toBe(true);
    expect(flags.has('\\Seen')).toBe(false);
    await eventually(async () => ((await status(box.agentId))?.last_uid === small ? true : undefined));
    expect(captured.lines.some((line) => line.includes('IMAP message too large'))).toBe(true);
  });

  it('ingests a message of exactly the size limit whole (the download is capped one byte above it)', async () => {
    const box = await mailbox();
    const limit = 3_000;
    const base = mail('at-limit', '');
    const exact = mail('at-limit', 'y'.repeat(limit - Buffer.byteLength(base)));
    expect(Buffer.byteLength(exact)).toBe(limit);
    const raws: Buffer[] = [];
    poller(box, async (raw) => void raws.push(raw), { maxMessageBytes: limit });
    await dovecot.deliver(box.user, exact);
    await eventually(() => (raws.length === 1 ? true : undefined));
    expect(raws[0]?.toString('latin1')).toBe(exact);
  });

  it('passes a message another client expunged between its SEARCH and its FETCH, and keeps the session', async () => {
    const box = await mailbox();
    const gate = Promise.withResolvers<void>();
    const reached = Promise.withResolvers<void>();
    const rec = recorder(async (id) => {
      if (id === 'first') {
        reached.resolve();
        await gate.promise;
      }
    });
    // Both in one batch (batchSize 2): the second is expunged while the first is being ingested.
    const first = await dovecot.deliver(box.user, mail('first'));
    const second = await dovecot.deliver(box.user, mail('second'));
    const third = await dovecot.deliver(box.user, mail('third'));
    poller(box, rec.ingest);
    await reached.promise;
    await dovecot.expunge(box.user, second);
    gate.resolve();
    await eventually(() => (rec.ids.length >= 2 ? true : undefined));
    await eventually(async () => ((await status(box.agentId)).last_uid === third ? true : undefined));
    expect(rec.ids).toEqual(['first', 'third']);
    expect((await dovecot.flags(box.user, first)).has('\\Seen')).toBe(true);
    const s = await status(box.agentId);
    expect(s).toMatchObject({ state: 'connected', error: null });
    const reconnects = captured.lines.filter(
      (line) => line.includes('IMAP connection failed; reconnecting') && line.includes(box.agentId),
    );
    expect(reconnects).toEqual([]);
  });

  it('reports a missing mailbox as an error, retries with backoff, and polls it once it exists', async () => {
    const box = await mailbox();
    const rec = recorder();
    poller(box, rec.ingest, { mailbox: 'Support' });
    const s = await eventually(async () => {
      const current = await status(box.agentId);
      return current.state === 'error' ? current : undefined;
    });
    expect(s.error).toMatch(/Support|exist/i);
    await dovecot.createMailbox(box.user, 'Support');
    await dovecot.deliver(box.user, mail('in-folder'), 'Support');
    await eventually(() => (rec.ids.length === 1 ? true : undefined), 20_000);
    expect(rec.ids).toEqual(['in-folder']);
  });

  it('lets one poller hold a mailbox; another takes over when the holder stops', async () => {
    const box = await mailbox();
    const recA = recorder();
    const recB = recorder();
    const a = poller(box, recA.ingest, { holder: 'process-a' });
    await eventually(async () => ((await status(box.agentId))?.state === 'connected' ? true : undefined));
    poller(box, recB.ingest, { holder: 'process-b' });
    for (const id of ['one', 'two']) await dovecot.deliver(box.user, mail(id));
    await eventually(() => (recA.ids.length === 2 ? true : undefined));
    expect(recB.ids).toEqual([]);
    const [row] = await app.database.query<{ holder: string }>(
      'select holder from imap_mailboxes where agent_id = $1',
      [box.agentId],
    );
    expect(row?.holder).toBe('process-a');

    await a.stop();
    await dovecot.deliver(box.user, mail('three'));
    await eventually(() => (recB.ids.length === 1 ? true : undefined));
    expect(recB.ids).toEqual(['three']);
    expect(recA.ids).toEqual(['one', 'two']);
  });

  it('takes over the mailbox of a crashed holder once its lease expires, and fences the old holder out', async () => {
    const box = await mailbox();
    // A holder that died without releasing its lease.
    await app.database.query(
      `insert into imap_mailboxes (agent_id, mailbox_key, holder, lease_expires_at, state)
       values ($1, $2, 'crashed-process', now() + interval '2 seconds', 'connected')`,
      [box.agentId, mailboxKey(box.config)],
    );
    const rec = recorder();
    poller(box, rec.ingest, { holder: 'survivor' });
    await dovecot.deliver(box.user, mail('after-crash'));
    await eventually(() => (rec.ids.length === 1 ? true : undefined));
    expect(rec.ids).toEqual(['after-crash']);
    const [row] = await app.database.query<{ holder: string }>(
      'select holder from imap_mailboxes where agent_id = $1',
      [box.agentId],
    );
    expect(row?.holder).toBe('survivor');
    const stale = new ImapMailboxStore(app.database.query, box.agentId, 'crashed-process');
    expect(await stale.saveCursor({ uidValidity: 1, lastUid: 999 })).toBe(false);
    expect(await stale.renew(10_000)).toBe(false);
    // The survivor saves its cursor after the ingest it just made (the recorder saw the ingest first).
    await eventually(async () => ((await status(box.agentId)).last_uid === 1 ? true : undefined), 30_000);
  });
});
