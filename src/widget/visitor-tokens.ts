import { compactVerify, jwtVerify, SignJWT } from 'jose';

const ISSUER = 'switchboard';
const AUDIENCE = 'switchboard-widget';
/**
 * An expired visitor token can still be exchanged for a new one this long after it was issued; a verified one,
 * this long after its identity was first verified (carried through every refresh), so it cannot live forever.
 */
const REFRESH_WINDOW_S = 30 * 24 * 3600;

/**
 * Who a visitor token speaks for: one visitor of one agent, optionally with a verified identifier. A verified
 * visitor also carries when the identity was verified (unix seconds) and a tag of the widget_secret it was
 * verified with, so changing the secret ends it.
 */
export type Visitor = {
  agentId: string;
  visitorId: string;
  verifiedIdentifier?: string;
  verifiedAt?: number;
  secretTag?: string;
};

/** Signs and verifies widget visitor tokens (HS256, own key, own audience): no organization credential in the browser. */
export class VisitorTokens {
  private readonly key: Uint8Array;
  readonly ttlSeconds: number;

  constructor(key: Uint8Array, ttlSeconds: number) {
    this.key = key;
    this.ttlSeconds = ttlSeconds;
  }

  async sign(visitor: Visitor): Promise<{ token: string; expiresAt: Date }> {
    const expiresAt = new Date(Date.now() + this.ttlSeconds * 1000);
    const token = await new SignJWT({
      typ: 'visitor',
      agt: visitor.agentId,
      ...(visitor.verifiedIdentifier
        ? { uid: visitor.verifiedIdentifier, vat: visitor.verifiedAt, stg: visitor.secretTag }
        : {}),
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(visitor.visitorId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
    return { token, expiresAt };
  }

  /** The visitor of a valid, unexpired token for `agentId`, or undefined. */
  async verify(token: string, agentId: string): Promise<Visitor | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      });
      return visitorOf(payload, agentId);
    } catch {
      return undefined;
    }
  }

  /** Like `verify`, but accepts an expired token issued within the refresh window (signature still checked). */
  async verifyForRefresh(token: string, agentId: string): Promise<Visitor | undefined> {
    try {
      const { payload } = await compactVerify(token, this.key, { algorithms: ['HS256'] });
      const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      if (claims.iss !== ISSUER || claims.aud !== AUDIENCE || typeof claims.iat !== 'number')
        return undefined;
      const since = typeof claims.uid === 'string' ? claims.vat : claims.iat;
      if (typeof since !== 'number' || Date.now() / 1000 - since > REFRESH_WINDOW_S) return undefined;
      return visitorOf(claims, agentId);
    } catch {
      return undefined;
    }
  }
}

function visitorOf(claims: Record<string, unknown>, agentId: string): Visitor | undefined {
  if (claims.typ !== 'visitor' || claims.agt !== agentId || typeof claims.sub !== 'string') return undefined;
  return {
    agentId,
    visitorId: claims.sub,
    ...(typeof claims.uid === 'string' ? { verifiedIdentifier: claims.uid } : {}),
    ...(typeof claims.vat === 'number' ? { verifiedAt: claims.vat } : {}),
    ...(typeof claims.stg === 'string' ? { secretTag: claims.stg } : {}),
  };
}
