import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { type Dovecot, skipWithoutDovecot, startDovecot } from '../helpers/dovecot.ts';
import { migratedDataDir, scratchDatabase } from '../helpers/database.ts';
import { simpleMail } from '../helpers/email.ts';
import { eventually } from '../helpers/loopback-peer.ts';
import { listeningUrl, type ServerProcess, spawnServer } from '../helpers/process.ts';
import { SmtpPeer } from '../helpers/smtp-peer.ts';

/**
 * A real server process polls a real Dovecot mailbox and answers through a real SMTP server; a SIGKILL right
 * after new mail arrives, and a restart that must resync (UIDVALIDITY changed, an answered mail unseen again),
 * answer every mail exactly once. The built-in `dev` model answers; no DNS is used (the mail carries an
 * Authentication-Results header from an authserv-id the channel trusts).
 */
const adminUrl = process.env.TEST_DATABASE_URL;
const IMAP_USER = 'support';
const IMAP_PASS = `imap-${randomBytes(8).toString('hex')}`;
const SMTP_USER = 'relay';
const SMTP_PASS = `smtp-${randomBytes(8).toString('hex')}`;
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const customerMail = (n: number) =>
  simpleMail({
    // One sender per mail: separate conversations, so each mail gets its own turn and reply.
    from: `Dee Park <dee${n}@customer.test>`,
    subject: `Question ${n}`,
    messageId: `<q${n}@customer.test>`,
    body: `Question number ${n}?`,
    headers: [
      'Authentication-Results: mx.shop.test; spf=pass smtp.mailfrom=customer.test; ' +
        'dkim=pass header.d=customer.test; dmarc=pass header.from=customer.test',
    ],
  });

async function crashScenario(env: Record<string, string>) {
  const dovecot: Dovecot = await startDovecot();
  cleanups.push(() => dovecot.close());
  dovecot.setUser(IMAP_USER, IMAP_PASS);
  const peer = await new SmtpPeer(SMTP_USER, SMTP_PASS).start();
  cleanups.push(() => peer.close());
  const dataDir = migratedDataDir('sb-imap-crash-');
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const start = (): ServerProcess => {
    const server = spawnServer({
      DATA_DIR: dataDir,
      JWT_SECRET: 'x'.repeat(40),
      EMAIL_TLS_CA_FILE: peer.caFile,
      TURN_DEBOUNCE_MS: 'email=0',
      IMAP_LEASE_TTL_MS: '2000',
      ...env,
    });
    cleanups.push(() => {
      server.child.kill('SIGKILL');
    });
    return server;
  };
  /** Replies received, by the Message-ID each answers. */
  const repliesTo = async () => {
    const ids: string[] = [];
    for (const mail of peer.received) ids.push(String((await simpleParser(mail.raw)).inReplyTo));
    return ids.sort();
  };

  const first = start();
  const url = await listeningUrl(first, 90_000);
  const out = first.stdout();
  const token = /API token\s+(sb_pat_\S+)/.exec(out)?.[1];
  const orgId = /Organization\s+(org_\S+)/.exec(out)?.[1];
  const projectId = /Project\s+(proj_\S+)/.exec(out)?.[1];
  const agentId = /Demo agent\s+(agent_\S+)/.exec(out)?.[1];
  expect([token, orgId, projectId, agentId].every(Boolean), out).toBe(true);
  const put = await fetch(
    `${url}/api/v1/channels/organizations/${orgId}/projects/${projectId}/agents/${agentId}/channels`,
    {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        email: {
          enabled: true,
          provider: 'smtp',
          from_email: 'support@shop.test',
          trusted_authserv_ids: ['mx.shop.test'],
          smtp_config: { host: '127.0.0.1', port: peer.port, username: SMTP_USER, password: SMTP_PASS },
          imap_config: {
            host: dovecot.host,
            port: dovecot.port,
            secure: false,
            username: IMAP_USER,
            password: IMAP_PASS,
          },
        },
      }),
    },
  );
  expect(put.status, await put.text()).toBe(200);

  const uid1 = await dovecot.deliver(IMAP_USER, customerMail(1));
  await eventually(() => (peer.received.length === 1 ? true : undefined), 30_000);
  await eventually(async () => ((await dovecot.flags(IMAP_USER, uid1)).has('\\Seen') ? true : undefined));

  // New mail, then SIGKILL while the poller may be anywhere in fetch → ingest → \Seen → cursor.
  const uid2 = await dovecot.deliver(IMAP_USER, customerMail(2));
  first.child.kill('SIGKILL');
  await first.exited;
  // While it is down the mailbox is rebuilt (new UIDVALIDITY) and the answered mail is unread again: the next
  // process must resync from the unseen mail and rely on the ingest's dedupe.
  await dovecot.removeFlags(IMAP_USER, uid1, ['\\Seen']);
  await dovecot.setUidValidity(IMAP_USER, 777_000 + Math.floor(Math.random() * 1000));

  const second = start();
  await listeningUrl(second, 90_000);
  for (const uid of [uid1, uid2]) {
    await eventually(
      async () => ((await dovecot.flags(IMAP_USER, uid)).has('\\Seen') ? true : undefined),
      30_000,
    );
  }
  // A third mail after the resync marks progress: once it is answered, anything queued before it has run.
  await dovecot.deliver(IMAP_USER, customerMail(3));
  await eventually(
    async () => ((await repliesTo()).includes('<q3@customer.test>') ? true : undefined),
    30_000,
  );
  await eventually(
    async () => ((await repliesTo()).includes('<q2@customer.test>') ? true : undefined),
    30_000,
  );
  expect(await repliesTo()).toEqual(['<q1@customer.test>', '<q2@customer.test>', '<q3@customer.test>']);
  second.child.kill('SIGTERM');
  await second.exited;
}

describe.skipIf(skipWithoutDovecot)('IMAP: a SIGKILL and a resync answer every mail exactly once', () => {
  it('on the embedded database', async () => {
    await crashScenario({});
  }, 300_000);

  it.runIf(adminUrl)(
    'on PostgreSQL',
    async () => {
      const scratch = await scratchDatabase(adminUrl as string, 'sb_imap_crash');
      cleanups.push(scratch.drop);
      await crashScenario({ DATABASE_URL: scratch.url });
    },
    300_000,
  );
});
