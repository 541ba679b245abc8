import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { WebEnv } from './env.ts';
import { clientAddress, readForm } from './page.ts';

/**
 * Headers every response carries. The CSP allows scripts only from the box itself, no
 * inline script and no eval (htmx 4 needs neither as long as no `hx-on` is used), and
 * no framing (clickjacking).
 */
export const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "media-src 'self'",
  "connect-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'",
].join('; ');

export function securityHeaders(opts: { tls: boolean }): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    // same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` on
    // form POSTs, and the CSRF origin check could no longer tell our forms from others.
    c.header('Referrer-Policy', 'same-origin');
    c.header('X-Frame-Options', 'DENY');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
    c.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    if (!c.res.headers.get('Cache-Control')) c.header('Cache-Control', 'no-store');
    if (opts.tls) c.header('Strict-Transport-Security', 'max-age=31536000');
  };
}

export const PRE_COOKIE = 'tresor_pre';

export function cookieNames(tls: boolean) {
  // __Host- needs Secure; without TLS the browser would drop it.
  return { session: tls ? '__Host-tresor_session' : 'tresor_session', pre: tls ? `__Host-${PRE_COOKIE}` : PRE_COOKIE };
}

export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A fresh pre-login cookie (at first sight, and at every sign-in: the old one's token must not outlive it). */
export function newPreCookie(c: Context, tls: boolean): string {
  const pre = randomBytes(24).toString('base64url');
  setCookie(c, cookieNames(tls).pre, pre, { httpOnly: true, sameSite: 'Strict', path: '/', secure: tls });
  return pre;
}

/**
 * CSRF defence for cookie-authenticated requests (DESIGN §6): every state-changing
 * request must come from our own origin (Origin, else Referer) and carry the form's
 * token. Signed-in users' forms carry the token of their session, and only that one.
 *
 * The login and setup forms (no session yet) carry a token derived from a pre-login
 * cookie, the client's address and a server key (`bind`): not the cookie itself. In HTTP
 * mode a page on another port of the same host can plant that cookie (cookies know no
 * ports: "cookie tossing"); a planted cookie, even a genuine one its planter fetched
 * from their own machine, then yields a form token the planter never saw. (Behind a
 * reverse proxy every client has the proxy's address and the binding is to the cookie
 * alone.) With TLS the cookie is `__Host-` and `Secure`, which an http:// page cannot set
 * at all: that, not this, is the real fix.
 *
 * API requests with a Bearer token carry no ambient credentials and skip this (the
 * identity middleware lets tokens through on /api/ only).
 */
export function csrfGuard(opts: { tls: boolean; publicOrigin: string | null; bind(nonce: string, address: string): string }): MiddlewareHandler<WebEnv> {
  const names = cookieNames(opts.tls);
  return async (c, next) => {
    // A pre-session cookie for anonymous forms, created on first sight.
    let pre = getCookie(c, names.pre);
    if (!pre || !/^[A-Za-z0-9_-]{32}$/.test(pre)) pre = newPreCookie(c, opts.tls);
    const signedIn = !!c.get('user');
    if (!signedIn) c.set('csrf', opts.bind(pre, clientAddress(c)));
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    if (c.req.path.startsWith('/api/') && c.req.header('Authorization')?.startsWith('Bearer ')) return next();

    const expected = opts.publicOrigin ?? `${opts.tls ? 'https' : 'http'}://${c.req.header('Host') ?? ''}`;
    const origin = c.req.header('Origin') ?? refererOrigin(c.req.header('Referer'));
    if (origin !== expected) {
      throw new TresorError('E_FORBIDDEN', `Refused: this request did not come from the Tresor console (origin ${origin ?? 'missing'}, expected ${expected}).`);
    }
    const ct = c.req.header('Content-Type') ?? '';
    let sent: string | undefined = c.req.header('X-CSRF-Token');
    if (!sent && (ct.startsWith('application/x-www-form-urlencoded') || ct.startsWith('multipart/form-data'))) {
      const body = await readForm(c);
      const v = body['_csrf'];
      sent = typeof v === 'string' ? v : undefined;
    }
    if (!sameToken(sent, c.get('csrf'))) {
      throw new TresorError('E_FORBIDDEN', 'Refused: the form is out of date or was not sent by the console (CSRF token missing or wrong). Reload the page and try again.');
    }
    return next();
  };
}

/** Paths whose GETs read personal data and are logged: search, recording page, audio, downloads, the log, the API. */
const LOGGED_READS = /^\/(recordings|log|api)(\/|$)/;

/**
 * Same-site GET forgery (issue 16): a page on another port of the same host is *same-site*
 * to a browser, so SameSite=Strict cookies ride along on its <img>, <audio>, <iframe> and
 * fetch() requests; each would be a logged play, download or search by the signed-in
 * person. Fetch Metadata tells the two apart: a request from the console's own pages is
 * `same-origin`, one typed into the address bar or from a bookmark is `none`; anything
 * else riding on the session cookie is refused and logged.
 *
 * Browsers send Fetch Metadata only to HTTPS origins (and to loopback): over plain HTTP on
 * a LAN address there is no header to check, and the request is let through as before.
 * TLS mode is the deployment this defence is for.
 */
export function sameOriginReads(log: LogWriter): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    const p = c.get('principal');
    if (!p || p.kind !== 'user' || (c.req.method !== 'GET' && c.req.method !== 'HEAD') || !LOGGED_READS.test(c.req.path)) return next();
    const site = c.req.header('Sec-Fetch-Site');
    if (site === undefined || site === 'same-origin' || site === 'none') return next();
    await log.append([{
      actor: p.actor, action: 'access.denied', target: `http:GET /${c.req.path.split('/')[1]}`,
      detail: { why: 'cross-site-request', fetchSite: site === 'same-site' || site === 'cross-site' ? site : 'other' },
    }]);
    throw new TresorError('E_FORBIDDEN', 'Refused: this page was asked for by another site (even one on the same host). Open it from the Tresor console, or type its address.');
  };
}

function refererOrigin(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  try {
    return new URL(ref).origin;
  } catch {
    return undefined;
  }
}
