import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';

/**
 * Outbound requests to URLs that users or payloads control (LLM base URLs, webhook targets, attachment URLs) must
 * not reach this machine's network: loopback, private, link-local (cloud metadata), CGNAT, ULA and every other
 * non-global range. The check runs on the address actually connected to (after DNS, on every redirect hop), so a
 * public-looking hostname that resolves inside is refused too.
 */

/** Resolves a hostname the way `dns.lookup` does with `all: true`. Injectable so tests never touch DNS. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export type OutboundPolicy = {
  /** OUTBOUND_ALLOW_PRIVATE: let these requests reach private and loopback targets (local models, tests). */
  allowPrivate: boolean;
  resolver?: Resolver;
  /** Replaces isPublicAddress as the test of each address (tests only: to stand in a "public" host on 127.0.0.2). */
  isAllowedAddress?: (address: string) => boolean;
};

/** The one error for a refused destination; its message never says whether anything listens there. */
export class BlockedDestinationError extends Error {
  readonly code = 'blocked_destination';
  constructor(message = 'This URL points to a private or reserved network address, which is not allowed') {
    super(message);
    this.name = 'BlockedDestinationError';
  }
}

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

/** `[::1]` → `::1`: URL hostnames keep IPv6 brackets, addresses do not. */
const unbracket = (host: string): string => host.replace(/^\[(.*)\]$/, '$1');

/** True only for globally routable unicast addresses (IPv4-mapped IPv6 is judged as its IPv4). */
export function isPublicAddress(address: string): boolean {
  const bare = unbracket(address);
  if (!ipaddr.isValid(bare)) return false;
  let parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  if (parsed.range() !== 'unicast') return false;
  // IPv6: only 2000::/3 is allocated for global unicast. ipaddr.js calls the rest of the space `unicast` too,
  // including IPv4-compatible ::a.b.c.d (deprecated; an automatic tunnel sends it to that IPv4 address).
  return parsed.kind() === 'ipv4' || parsed.match(GLOBAL_UNICAST_V6);
}

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/** Parses a URL a user gave: http(s) only, no `user:pass@`. Throws a message that is safe to show. */
export function parseOutboundUrl(value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new BlockedDestinationError('The URL is not valid');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BlockedDestinationError('Only http and https URLs are allowed');
  }
  if (url.username || url.password) {
    throw new BlockedDestinationError('The URL must not contain a user name or password');
  }
  return url;
}

/**
 * Checks a URL that someone else will connect to (a webhook URL handed to Telegram): every address its host
 * resolves to must be public. Returns the parsed URL.
 */
export async function assertPublicUrl(value: string | URL, policy: OutboundPolicy): Promise<URL> {
  const url = parseOutboundUrl(value);
  if (policy.allowPrivate) return url;
  const host = unbracket(url.hostname);
  const allowed = policy.isAllowedAddress ?? isPublicAddress;
  if (isIP(host)) {
    if (!allowed(host)) throw new BlockedDestinationError();
    return url;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await (policy.resolver ?? systemResolver)(host);
  } catch {
    throw new BlockedDestinationError('The URL’s host name could not be resolved');
  }
  if (addresses.length === 0 || !addresses.every((a) => allowed(a.address))) {
    throw new BlockedDestinationError();
  }
  return url;
}

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for net/tls.connect that only ever hands back public addresses. */
function publicLookup(resolver: Resolver, allowed: (address: string) => boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolver(hostname).then(
      (all) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = all.filter((a) => allowed(a.address) && (!wanted || a.family === wanted));
        const first = usable[0];
        if (!first) return callback(new BlockedDestinationError(), '', 0);
        if (options.all) return callback(null, usable);
        callback(null, first.address, first.family);
      },
      (error: Error) => callback(error, '', 0),
    );
  };
}

/** An undici dispatcher whose every connection (first hop and redirects) goes to a public address only. */
function guardedAgent(policy: OutboundPolicy): Agent {
  const allowed = policy.isAllowedAddress ?? isPublicAddress;
  const connect = buildConnector({
    lookup: publicLookup(policy.resolver ?? systemResolver, allowed) as never,
  });
  return new Agent({
    connect: (options, callback) => {
      const literal = unbracket(options.hostname);
      if (isIP(literal) && !allowed(literal)) {
        callback(new BlockedDestinationError(), null);
        return;
      }
      connect(options, callback);
    },
  });
}

/**
 * A `fetch` for URLs from users or payloads. With `allowPrivate` it is plain fetch after the URL checks; without,
 * it refuses any non-public destination. A refused request rejects with BlockedDestinationError (directly, or as
 * the `cause` of fetch's TypeError when a redirect hop is refused).
 */
export function createPublicFetch(policy: OutboundPolicy): typeof fetch {
  const agent = policy.allowPrivate ? undefined : guardedAgent(policy);
  return (async (input: string | URL | Request, init?: RequestInit) => {
    if (typeof input !== 'string' && !(input instanceof URL)) {
      throw new TypeError('publicFetch takes a URL string or URL object');
    }
    const url = parseOutboundUrl(input);
    if (!agent) return fetch(url, init);
    return undiciFetch(url, { ...(init as object), dispatcher: agent });
  }) as typeof fetch;
}

/** True when an error (or its cause) is a refused destination. */
export function isBlockedDestination(error: unknown): error is BlockedDestinationError {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof BlockedDestinationError) return true;
  }
  return false;
}
