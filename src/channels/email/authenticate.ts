import type { DNSResolver } from 'mailauth';
import type { ProviderMailVerdict } from '../types.ts';

export type { DNSResolver };

/** Per-mechanism outcome: pass, fail, none, or the RFC 8601 neutral/softfail/temperror/permerror. */
export type AuthResult = string;

/** The sender authentication verdict stored on the message and shown by the API. */
export type AuthVerdict = {
  /**
   * `mailauth` (checked here), `authentication-results` (a trusted receiving server's header) or `provider` (the
   * receiving provider's verdict, for a mail rebuilt from its parsed fields).
   */
  source: 'mailauth' | 'authentication-results' | 'provider';
  /** With source `provider`: which provider judged (sendgrid, mailgun, ses). */
  provider?: string;
  dkim: AuthResult;
  /** Domains whose DKIM signature passed. */
  dkim_domains: string[];
  /** Why the first signature did not pass, as the checker put it (`bad signature`, `body hash did not verify`). */
  dkim_comment?: string;
  spf: AuthResult;
  dmarc: AuthResult;
  /** The From domain's DMARC policy when DMARC failed (`reject`, `quarantine`, `none`). */
  dmarc_policy?: string;
  arc: AuthResult;
  /** The From domain that was checked. */
  from_domain?: string;
  /**
   * DMARC passed, or a DKIM signature aligned with the From domain passed: the From address is genuine. Never for a
   * mail without a single From address (its author comes from `Sender`, which DMARC does not cover).
   */
  verified: boolean;
};

export type AuthOptions = {
  /** DNS lookups (tests inject a fixture zone); default: the system resolver. */
  resolver?: DNSResolver;
  /** The connecting client's IP; without it the topmost Received header (added by our MTA) is used. */
  clientIp?: string;
  /** Authserv-ids whose `Authentication-Results` header is trusted instead of checking here. */
  trustedAuthservIds?: readonly string[];
  /**
   * The receiving provider's verdict. With `composed` (the raw was rebuilt from parsed fields, so its DKIM
   * signatures no longer verify) it replaces the DNS checks; otherwise the mail is checked as usual.
   */
  providerVerdict?: ProviderMailVerdict & { composed?: boolean };
};

const domainOf = (address: string | undefined) => address?.split('@').pop()?.toLowerCase();
/** Relaxed alignment: the same domain or one a subdomain of the other (organizational domain approximated). */
const aligned = (a: string, b: string) => a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);

/**
 * Whether the From address is genuine: DMARC passed, or a DKIM signature aligned with the From domain passed. Without
 * a single From address (a group, several mailboxes) nothing is vouched for, whatever DMARC result a receiving server
 * or provider reports: it was not computed for the address the mail is attributed to.
 */
const vouches = (fromDomain: string | undefined, dmarc: AuthResult, dkimAligned: boolean) =>
  fromDomain !== undefined && (dmarc === 'pass' || dkimAligned);

/**
 * Authenticates the sender of a raw mail: a trusted `Authentication-Results` header when one is
 * configured and present, else DKIM, SPF, ARC and DMARC checked with mailauth (DNS through `resolver`).
 */
export async function authenticateMail(
  raw: Buffer,
  /** From's only mailbox; undefined for a group or several mailboxes (then nothing is `verified`). */
  fromAddress: string | undefined,
  options: AuthOptions,
): Promise<AuthVerdict> {
  const fromDomain = domainOf(fromAddress);
  const trusted = options.trustedAuthservIds?.length
    ? trustedResults(raw, options.trustedAuthservIds, fromDomain)
    : undefined;
  if (trusted) return trusted;
  if (options.providerVerdict?.composed) return providerResults(options.providerVerdict, fromDomain);
  const { authenticate } = await import('mailauth');
  const result = await authenticate(raw, {
    ...(options.clientIp ? { ip: options.clientIp } : { trustReceived: true }),
    ...(options.resolver ? { resolver: options.resolver } : {}),
    disableBimi: true,
  });
  const passing = (result.dkim.results ?? []).filter((r) => r.status?.result === 'pass');
  const dkim = passing.length > 0 ? 'pass' : (result.dkim.results?.[0]?.status?.result ?? 'none');
  const dmarc = result.dmarc ? (result.dmarc.status?.result ?? 'none') : 'none';
  const dkimAligned = passing.some(
    (r) => fromDomain && r.signingDomain && aligned(r.signingDomain, fromDomain),
  );
  const policy = result.dmarc && dmarc === 'fail' ? (result.dmarc as { policy?: string }).policy : undefined;
  const comment = passing.length === 0 ? result.dkim.results?.[0]?.status?.comment : undefined;
  return {
    source: 'mailauth',
    dkim,
    dkim_domains: passing.map((r) => r.signingDomain).filter((d): d is string => Boolean(d)),
    ...(typeof comment === 'string' && comment ? { dkim_comment: comment.slice(0, 200) } : {}),
    spf: result.spf ? (result.spf.status?.result ?? 'none') : 'none',
    dmarc,
    ...(policy ? { dmarc_policy: policy } : {}),
    arc: result.arc ? (result.arc.status?.result ?? 'none') : 'none',
    ...(fromDomain ? { from_domain: fromDomain } : {}),
    verified: vouches(fromDomain, dmarc, dkimAligned),
  };
}

const RESULT = /^(pass|fail|softfail|neutral|none|temperror|permerror|policy)$/;
/** A provider's result as an RFC 8601 word; anything else is `none`. */
const resultOf = (value: string | undefined) => {
  const word = value?.trim().toLowerCase() ?? '';
  return RESULT.test(word) ? word : 'none';
};

/** The verdict from the receiving provider's own checks (a mail rebuilt from parsed fields cannot be re-checked). */
function providerResults(verdict: ProviderMailVerdict, fromDomain: string | undefined): AuthVerdict {
  const dkim = resultOf(verdict.dkim);
  const dmarc = resultOf(verdict.dmarc);
  const dkimDomains =
    dkim === 'pass' ? (verdict.dkim_domains ?? []).map((d) => d.toLowerCase()).slice(0, 20) : [];
  const dkimAligned = dkimDomains.some((d) => fromDomain && aligned(d, fromDomain));
  const policy = dmarc === 'fail' ? verdict.dmarc_policy?.toLowerCase() : undefined;
  return {
    source: 'provider',
    provider: verdict.provider,
    dkim,
    dkim_domains: dkimDomains,
    spf: resultOf(verdict.spf),
    dmarc,
    ...(policy ? { dmarc_policy: policy } : {}),
    arc: 'none',
    ...(fromDomain ? { from_domain: fromDomain } : {}),
    verified: vouches(fromDomain, dmarc, dkimAligned),
  };
}

/** Header lines of the header block, unfolded. */
function headerLines(raw: Buffer): string[] {
  const text = raw.subarray(0, 256 * 1024).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return (end === -1 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
}

/**
 * The verdict from the topmost `Authentication-Results` header whose authserv-id is trusted (RFC 8601):
 * receiving servers add theirs on top, so a forged copy from the sender sits below and is never read.
 */
function trustedResults(
  raw: Buffer,
  trustedIds: readonly string[],
  fromDomain: string | undefined,
): AuthVerdict | undefined {
  const header = headerLines(raw).find((line) => /^authentication-results:/i.test(line));
  if (!header) return undefined;
  const [authserv = '', ...clauses] = header.replace(/^authentication-results:\s*/i, '').split(';');
  const id = authserv.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!trustedIds.some((trusted) => trusted.toLowerCase() === id)) return undefined;
  const found: Record<string, string> = {};
  const dkimDomains: string[] = [];
  let policy: string | undefined;
  for (const clause of clauses) {
    const match = /^\s*(dkim|spf|dmarc|arc)\s*=\s*([a-z]+)/i.exec(clause);
    if (!match) continue;
    const method = (match[1] ?? '').toLowerCase();
    const value = (match[2] ?? '').toLowerCase();
    if (method === 'dkim' && value === 'pass') {
      const domain = /header\.(?:d|i)=@?([^\s;]+)/i.exec(clause)?.[1];
      if (domain) dkimDomains.push(domain.split('@').pop()?.toLowerCase() ?? domain);
    }
    if (method === 'dmarc') policy = /\bp=([a-z]+)/i.exec(clause)?.[1]?.toLowerCase();
    if (!found[method] || value === 'pass') found[method] = value;
  }
  const dmarc = found.dmarc ?? 'none';
  const dkimAligned = dkimDomains.some((d) => fromDomain && aligned(d, fromDomain));
  return {
    source: 'authentication-results',
    dkim: found.dkim ?? 'none',
    dkim_domains: dkimDomains,
    spf: found.spf ?? 'none',
    dmarc,
    ...(dmarc === 'fail' && policy ? { dmarc_policy: policy } : {}),
    arc: found.arc ?? 'none',
    ...(fromDomain ? { from_domain: fromDomain } : {}),
    verified: vouches(fromDomain, dmarc, dkimAligned),
  };
}
