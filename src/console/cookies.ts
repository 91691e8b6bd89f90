import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

/** The console's session token: httpOnly, so page scripts never see it. */
export const SESSION_COOKIE = 'sb_session';
/** Double-submit CSRF token: readable by the console's script, echoed in X-CSRF-Token on every write. */
export const CSRF_COOKIE = 'sb_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** Secure cookies when the server is reached over https (directly or through PUBLIC_URL). */
function secure(c: Context, publicUrl: string | undefined): boolean {
  return (publicUrl ?? c.req.url).startsWith('https:');
}

export function setConsoleCookies(
  c: Context,
  sessionToken: string,
  maxAgeSeconds: number,
  publicUrl: string | undefined,
): void {
  const common = {
    path: '/',
    sameSite: 'Strict' as const,
    secure: secure(c, publicUrl),
    maxAge: maxAgeSeconds,
  };
  setCookie(c, SESSION_COOKIE, sessionToken, { ...common, httpOnly: true });
  setCookie(c, CSRF_COOKIE, randomBytes(32).toString('base64url'), common);
}

export function clearConsoleCookies(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
  deleteCookie(c, CSRF_COOKIE, { path: '/' });
}

export const sessionCookie = (c: Context) => getCookie(c, SESSION_COOKIE);
export const csrfCookie = (c: Context) => getCookie(c, CSRF_COOKIE);
