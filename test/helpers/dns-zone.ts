import type { DNSResolver } from '../../src/channels/email/authenticate.ts';

/** TXT records by name (lowercase); every other lookup is NXDOMAIN. */
export type Zone = Record<string, string[]>;

/**
 * An offline DNS resolver over a fixture zone, shaped like `dns.promises.resolve`: TXT answers are
 * arrays of chunks, unknown names fail with ENOTFOUND (so nothing in a test ever reaches real DNS).
 * `lookups` records every question asked.
 */
export function fixtureResolver(zone: Zone): DNSResolver & { lookups: string[] } {
  const lookups: string[] = [];
  const resolver = async (name: string, rrtype: string) => {
    lookups.push(`${rrtype} ${name}`);
    const records = rrtype === 'TXT' ? zone[name.toLowerCase()] : undefined;
    if (!records) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return records.map((record) => [record]);
  };
  return Object.assign(resolver, { lookups }) as DNSResolver & { lookups: string[] };
}
