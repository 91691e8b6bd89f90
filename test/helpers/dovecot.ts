import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { eventually } from './loopback-peer.ts';
import { freePort } from './free-port.ts';

/**
 * Debian's Dovecot as a throwaway IMAP server on 127.0.0.1 (recipe: /work/shared/reference/test-peers.md): one
 * temporary directory holds its config, sockets, logs, users and maildirs; plain-text IMAP on a free port.
 */
export const DOVECOT = process.env.DOVECOT_PATH ?? '/usr/sbin/dovecot';
const DOVEADM = process.env.DOVEADM_PATH ?? '/usr/bin/doveadm';

/**
 * True when Dovecot is installed. Without it IMAP tests skip only when the run is explicitly not CI (CI unset):
 * under CI (.ci/run installs the package) they run and fail loudly.
 */
export const haveDovecot = fs.existsSync(DOVECOT);
export const skipWithoutDovecot = !haveDovecot && !process.env.CI;

const run = promisify(execFile);

export type Dovecot = {
  host: '127.0.0.1';
  port: number;
  /** Adds a mailbox user. */
  setUser(user: string, password: string): void;
  /** Delivers one raw message with IMAP APPEND; returns its UID. */
  deliver(user: string, raw: string, mailbox?: string): Promise<number>;
  /** The flags of one message, read over IMAP. */
  flags(user: string, uid: number, mailbox?: string): Promise<Set<string>>;
  /** Adds flags to one message (a person reading it elsewhere). */
  addFlags(user: string, uid: number, flags: string[], mailbox?: string): Promise<void>;
  /** Removes flags from one message. */
  removeFlags(user: string, uid: number, flags: string[], mailbox?: string): Promise<void>;
  /** Deletes and expunges one message (another client removing it). */
  expunge(user: string, uid: number, mailbox?: string): Promise<void>;
  /** Creates a mailbox (folder). */
  createMailbox(user: string, mailbox: string): Promise<void>;
  /** Sets the mailbox's UIDVALIDITY (doveadm), as a server rebuild would change it. */
  setUidValidity(user: string, value: number, mailbox?: string): Promise<void>;
  /** The server log (auth failures etc.). */
  log(): string;
  stop(): Promise<void>;
  /** Starts it again on the same port with the same mail. */
  start(): Promise<void>;
  /** Stops it and removes every file. */
  close(): Promise<void>;
};

function config(dir: string, port: number): string {
  return `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:${dir}/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users/%u
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=${dir}/mail/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
auth_failure_delay = 0
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`;
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return children;
}

/** Starts a fresh Dovecot; throws (never skips) when it cannot. */
export async function startDovecot(): Promise<Dovecot> {
  if (!haveDovecot)
    throw new Error(`Dovecot is not installed at ${DOVECOT}: apt-get install -y dovecot-imapd`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-dovecot-'));
  fs.chmodSync(dir, 0o755);
  for (const sub of ['run', 'state', 'mail']) fs.mkdirSync(path.join(dir, sub));
  await run('chown', ['dovecot:dovecot', path.join(dir, 'mail')]);
  const port = await freePort();
  const confFile = path.join(dir, 'dovecot.conf');
  fs.writeFileSync(confFile, config(dir, port));
  const usersDir = path.join(dir, 'users');
  fs.mkdirSync(usersDir, { mode: 0o755 });
  const users = new Map<string, string>();
  const pidFile = path.join(dir, 'run', 'master.pid');
  let pid: number | undefined;

  const client = (user: string) =>
    new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user, pass: users.get(user) ?? '' },
      logger: false,
    });
  const withClient = async <T>(user: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> => {
    const c = client(user);
    try {
      await c.connect();
      return await fn(c);
    } catch (error) {
      const e = error as Error & { responseText?: string };
      throw new Error(`IMAP helper for ${user}: ${e.message} ${e.responseText ?? ''}`, { cause: error });
    } finally {
      await c.logout().catch(() => c.close());
    }
  };

  const dovecot: Dovecot = {
    host: '127.0.0.1',
    port,
    setUser(user, password) {
      if (!/^[a-z0-9._-]+$/.test(user)) throw new Error(`unsupported test user name ${user}`);
      users.set(user, password);
      // One passwd-file per user: Dovecot re-reads a changed file at most once a second, a new one at once.
      fs.writeFileSync(path.join(usersDir, user), `${user}:{PLAIN}${password}\n`, { mode: 0o644 });
    },
    deliver: (user, raw, mailbox = 'INBOX') =>
      withClient(user, async (c) => {
        const result = await c.append(mailbox, raw);
        if (!result || !result.uid) throw new Error('APPEND returned no UID');
        return result.uid;
      }),
    flags: (user, uid, mailbox = 'INBOX') =>
      withClient(user, async (c) => {
        await c.mailboxOpen(mailbox, { readOnly: true });
        const message = await c.fetchOne(String(uid), { flags: true }, { uid: true });
        if (!message) throw new Error(`no message with UID ${uid}`);
        return message.flags ?? new Set();
      }),
    addFlags: (user, uid, flags, mailbox = 'INBOX') =>
      withClient(user, async (c) => {
        await c.mailboxOpen(mailbox);
        await c.messageFlagsAdd(String(uid), flags, { uid: true });
      }),
    removeFlags: (user, uid, flags, mailbox = 'INBOX') =>
      withClient(user, async (c) => {
        await c.mailboxOpen(mailbox);
        await c.messageFlagsRemove(String(uid), flags, { uid: true });
      }),
    expunge: (user, uid, mailbox = 'INBOX') =>
      withClient(user, async (c) => {
        await c.mailboxOpen(mailbox);
        if (!(await c.messageDelete(String(uid), { uid: true })))
          throw new Error(`could not expunge UID ${uid}`);
      }),
    createMailbox: (user, mailbox) =>
      withClient(user, async (c) => {
        await c.mailboxCreate(mailbox);
      }),
    async setUidValidity(user, value, mailbox = 'INBOX') {
      await run(DOVEADM, [
        '-c',
        confFile,
        'mailbox',
        'update',
        '-u',
        user,
        '--uid-validity',
        String(value),
        mailbox,
      ]);
    },
    log: () => {
      try {
        return fs.readFileSync(path.join(dir, 'dovecot.log'), 'utf8');
      } catch {
        return '';
      }
    },
    async start() {
      // The master daemonizes; it must not inherit our pipes, or waiting for the launcher never ends.
      const launcher = spawn(DOVECOT, ['-c', confFile], { stdio: 'ignore' });
      const code = await new Promise((resolve, reject) => {
        launcher.once('exit', resolve);
        launcher.once('error', reject);
      });
      if (code !== 0) throw new Error(`dovecot exited with ${String(code)}`);
      // The daemon writes its pid file shortly after the launcher returns.
      pid = await eventually(() => {
        const text = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : '';
        return /^\d+$/.test(text) ? Number(text) : undefined;
      }, 15_000);
      await eventually(async () => ((await portOpen(port)) ? true : undefined), 15_000);
    },
    async stop() {
      if (pid === undefined) return;
      const stopping = pid;
      pid = undefined;
      // Its imap processes outlive the master by ~9 s before they say BYE: a restart ends them too, at once.
      const sessions = childrenOf(stopping);
      process.kill(stopping, 'SIGTERM');
      for (const child of sessions) if (alive(child)) process.kill(child, 'SIGTERM');
      await eventually(() => ([stopping, ...sessions].some(alive) ? undefined : true), 15_000);
    },
    async close() {
      await dovecot.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await dovecot.start();
  } catch (error) {
    const log = dovecot.log();
    await dovecot.close().catch(() => {});
    throw new Error(`Dovecot did not start: ${String(error)}\n${log}`, { cause: error });
  }
  return dovecot;
}
