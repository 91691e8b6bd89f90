import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertPublicUrl,
  BlockedDestinationError,
  createPublicFetch,
  isBlockedDestination,
  isPublicAddress,
  type Resolver,
} from '../../src/net/outbound-guard.ts';

/** A listener that counts connections, so a test can prove nothing reached it. */
async function listener(host: string, handler: (path: string) => { status: number; location?: string }) {
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const answer = handler(req.url ?? '/');
    res.writeHead(answer.status, answer.location ? { location: answer.location } : {});
    res.end('reached');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return { port, connections: () => connections, close: () => new Promise((r) => server.close(r)) };
}

const resolverOf =
  (table: Record<string, string[]>): Resolver =>
  async (hostname) => {
    const addresses = table[hostname];
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['2001:4860:4860::8888', true],
    ['127.0.0.1', false],
    ['127.9.9.9', false],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['255.255.255.255', false],
    ['224.0.0.1', false],
    ['::1', false],
    ['[::1]', false],
    ['::', false],
    ['fe80::1', false],
    ['fd00:ec2::254', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['64:ff9b::7f00:1', false],
    // Outside 2000::/3, the only IPv6 space allocated for global unicast: IPv4-compatible (::a.b.c.d, deprecated,
    // tunnelled to the IPv4 address where automatic tunnels exist), and unallocated space.
    ['::7f00:1', false],
    ['::a9fe:a9fe', false],
    ['::a00:1', false],
    ['4000::1', false],
    ['2a00:1450:4001:80b::200e', true],
    ['not an address', false],
  ])('%s → %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });
});

describe('assertPublicUrl', () => {
  const policy = {
    allowPrivate: false,
    resolver: resolverOf({
      'hooks.example': ['93.184.216.34'],
      'inside.example': ['93.184.216.34', '10.0.0.7'],
    }),
  };

  it('accepts a host whose every address is public', async () => {
    expect((await assertPublicUrl('https://hooks.example/tg', policy)).hostname).toBe('hooks.example');
  });

  it.each([
    ['a host with one private address', 'https://inside.example/x'],
    ['a loopback literal', 'http://127.0.0.1:8080/'],
    ['an IPv6 loopback literal', 'http://[::1]/'],
    ['the metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['credentials in the URL', 'https://user:pass@hooks.example/'],
    ['another scheme', 'ftp://hooks.example/'],
    ['an unresolvable host', 'https://nowhere.example/'],
    ['garbage', 'not a url'],
  ])('refuses %s', async (_name, url) => {
    await expect(assertPublicUrl(url, policy)).rejects.toBeInstanceOf(BlockedDestinationError);
  });

  it('lets everything through with OUTBOUND_ALLOW_PRIVATE, except credentials in the URL', async () => {
    expect((await assertPublicUrl('http://127.0.0.1:1/', { allowPrivate: true })).port).toBe('1');
    await expect(assertPublicUrl('http://a:b@127.0.0.1/', { allowPrivate: true })).rejects.toThrow(
      /user name/,
    );
  });
});

describe('createPublicFetch', () => {
  let inside: Awaited<ReturnType<typeof listener>>;
  let closedPort: number;

  beforeAll(async () => {
    inside = await listener('127.0.0.1', () => ({ status: 200 }));
    const probe = await listener('127.0.0.1', () => ({ status: 200 }));
    closedPort = probe.port;
    await probe.close();
  });
  afterAll(() => inside.close());

  it('refuses a public-looking host name that resolves to loopback, without connecting', async () => {
    const guarded = createPublicFetch({
      allowPrivate: false,
      resolver: resolverOf({ 'llm.example': ['127.0.0.1'] }),
    });
    const error = await guarded(`http://llm.example:${inside.port}/v1/chat`).catch((e: unknown) => e);
    expect(isBlockedDestination(error)).toBe(true);
    expect(inside.connections()).toBe(0);
  });

  it.each(['127.0.0.1', '[::ffff:127.0.0.1]', '[::1]'])('refuses the literal %s', async (host) => {
    const guarded = createPublicFetch({ allowPrivate: false });
    const error = await guarded(`http://${host}:${inside.port}/`).catch((e: unknown) => e);
    expect(isBlockedDestination(error)).toBe(true);
    expect(inside.connections()).toBe(0);
  });

  it('says the same for an open and a closed internal port', async () => {
    const guarded = createPublicFetch({ allowPrivate: false });
    const open = await guarded(`http://127.0.0.1:${inside.port}/`).catch((e: unknown) => e);
    const closed = await guarded(`http://127.0.0.1:${closedPort}/`).catch((e: unknown) => e);
    expect(String(open)).toBe(String(closed));
    expect(isBlockedDestination(closed)).toBe(true);
  });

  it('checks every redirect hop, not only the first', async () => {
    // 127.0.0.2 stands in for a public host; it redirects to loopback, which must be refused.
    const front = await listener('127.0.0.2', () => ({
      status: 302,
      location: `http://127.0.0.1:${inside.port}/secret`,
    }));
    try {
      const guarded = createPublicFetch({
        allowPrivate: false,
        isAllowedAddress: (address) => address === '127.0.0.2',
      });
      const error = await guarded(`http://127.0.0.2:${front.port}/`).catch((e: unknown) => e);
      expect(front.connections()).toBe(1);
      expect(isBlockedDestination(error)).toBe(true);
      expect(inside.connections()).toBe(0);
    } finally {
      await front.close();
    }
  });

  it('reaches loopback when OUTBOUND_ALLOW_PRIVATE allows it', async () => {
    const open = createPublicFetch({ allowPrivate: true });
    const response = await open(`http://127.0.0.1:${inside.port}/local-model`);
    expect(await response.text()).toBe('reached');
  });

  it('never sends credentials written into the URL', async () => {
    const open = createPublicFetch({ allowPrivate: true });
    const before = inside.connections();
    await expect(open(`http://u:p@127.0.0.1:${inside.port}/`)).rejects.toThrow(/user name or password/);
    expect(inside.connections()).toBe(before);
  });
});
