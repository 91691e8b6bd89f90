import pg from 'pg';

/** Called after the LISTEN connection was lost and re-established (notifications in between are lost). */
export type ListenOptions = { onReconnect?: () => void };

type Subscription = { channel: string; onPayload: (payload: string) => void; options: ListenOptions };

/** How long after losing the connection the next attempt starts (and between failed attempts). */
const RETRY_MS = 1000;

/** `listen "channel"` or `unlisten "channel"`, the name quoted as an identifier. */
const statement = (verb: 'listen' | 'unlisten', channel: string) =>
  `${verb} "${channel.replaceAll('"', '""')}"`;

/**
 * Every LISTEN of this process on one dedicated PostgreSQL connection: PostgreSQL wakes each listening connection
 * of the database for every NOTIFY, whatever its channel, so each extra one costs the server a wake-up per job
 * insert. Opened with the first subscription, closed with the last. When the server drops it, it reconnects every
 * second until it succeeds, listens to every channel again and calls each subscription's `onReconnect`.
 */
export class SharedListener {
  private readonly url: string;
  private readonly subscriptions = new Set<Subscription>();
  private client?: pg.Client;
  private opening?: Promise<pg.Client>;
  private retrying = false;

  constructor(url: string) {
    this.url = url;
  }

  /** LISTEN on `channel`; resolves once subscribed. The returned function unsubscribes. */
  async listen(
    channel: string,
    onPayload: (payload: string) => void,
    options: ListenOptions = {},
  ): Promise<() => Promise<void>> {
    const subscription = { channel, onPayload, options };
    this.subscriptions.add(subscription);
    try {
      // LISTEN on a channel already listened to is a no-op; sent each time, it is in effect when this resolves.
      await (await this.connected()).query(statement('listen', channel));
    } catch (error) {
      await this.unsubscribe(subscription);
      throw error;
    }
    return () => this.unsubscribe(subscription);
  }

  private async unsubscribe(subscription: Subscription): Promise<void> {
    if (!this.subscriptions.delete(subscription)) return;
    const client = this.client;
    if (this.subscriptions.size === 0) {
      this.client = undefined;
      await client?.end().catch(() => {});
      return;
    }
    if (![...this.subscriptions].some((s) => s.channel === subscription.channel)) {
      await client?.query(statement('unlisten', subscription.channel)).catch(() => {});
    }
  }

  private connected(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', ({ channel, payload }) => {
      for (const subscription of [...this.subscriptions]) {
        if (subscription.channel === channel) subscription.onPayload(payload ?? '');
      }
    });
    client.on('error', () => this.drop(client));
    try {
      await client.connect();
    } catch (error) {
      client.end().catch(() => {});
      throw error;
    }
    if (this.subscriptions.size === 0) {
      await client.end().catch(() => {});
      throw new Error('No LISTEN subscription is left');
    }
    this.client = client;
    return client;
  }

  /** The connection failed: a live one is replaced (a failed attempt is retried by whoever made it). */
  private drop(client: pg.Client): void {
    client.end().catch(() => {});
    if (this.client !== client) return;
    this.client = undefined;
    this.retry();
  }

  private retry(): void {
    if (this.retrying || this.subscriptions.size === 0) return;
    this.retrying = true;
    setTimeout(() => void this.reconnect(), RETRY_MS).unref();
  }

  private async reconnect(): Promise<void> {
    this.retrying = false;
    if (this.subscriptions.size === 0) return;
    try {
      const client = await this.connected();
      for (const channel of new Set([...this.subscriptions].map((s) => s.channel))) {
        await client.query(statement('listen', channel));
      }
    } catch {
      if (this.client) this.drop(this.client);
      else this.retry();
      return;
    }
    for (const subscription of [...this.subscriptions]) subscription.options.onReconnect?.();
  }
}
