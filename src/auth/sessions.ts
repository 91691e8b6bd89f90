import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

const ISSUER = 'switchboard';
const AUDIENCE = 'switchboard-api';

/** Signs and verifies user session tokens (HS256 JWTs carrying the user id). */
export class SessionTokens {
  private readonly key: Uint8Array;
  private readonly ttlSeconds: number;
  private readonly secret: string;

  constructor(secret: string, ttlSeconds: number) {
    this.key = new TextEncoder().encode(secret);
    this.ttlSeconds = ttlSeconds;
    this.secret = secret;
  }

  /** A separate key for another token kind, derived from the same secret (a token of one kind never verifies as another). */
  derivedKey(label: string): Uint8Array {
    return new Uint8Array(createHmac('sha256', this.secret).update(label).digest());
  }

  sign(userId: string): Promise<string> {
    // `ims`: issue time in ms, so a password change can cut off sessions issued moments before it.
    return new SignJWT({ typ: 'session', ims: Date.now() })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /** The user id and issue time (ms) of a valid, unexpired session token, or undefined. */
  async verify(token: string): Promise<{ userId: string; issuedAtMs: number } | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      });
      if (payload.typ !== 'session' || typeof payload.sub !== 'string' || typeof payload.iat !== 'number') {
        return undefined;
      }
      const issuedAtMs = typeof payload.ims === 'number' ? payload.ims : payload.iat * 1000;
      return { userId: payload.sub, issuedAtMs };
    } catch {
      return undefined;
    }
  }
}
