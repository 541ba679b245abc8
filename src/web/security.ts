import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { WebEnv } from './env.ts';

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

/**
 * CSRF defence for cookie-authenticated requests (DESIGN §6): every state-changing
 * request must come from our own origin (Origin, else Referer) and carry the form's
 * token. Signed-in users get the token of their session; the login and setup forms
 * get a pre-session token from a cookie (double submit), so login CSRF fails too.
 * Bearer-token API calls carry no ambient credentials and skip this.
 */
export function csrfGuard(opts: { tls: boolean; publicOrigin: string | null }): MiddlewareHandler<WebEnv> {
  const names = cookieNames(opts.tls);
  return async (c, next) => {
    // A pre-session token for anonymous forms, created on first sight.
    let pre = getCookie(c, names.pre);
    if (!pre || !/^[A-Za-z0-9_-]{32}$/.test(pre)) {
      pre = randomBytes(24).toString('base64url');
      setCookie(c, names.pre, pre, { httpOnly: true, sameSite: 'Strict', path: '/', secure: opts.tls });
    }
    if (!c.get('csrf')) c.set('csrf', pre);
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    if (c.req.header('Authorization')?.startsWith('Bearer ')) return next();

    const expected = opts.publicOrigin ?? `${opts.tls ? 'https' : 'http'}://${c.req.header('Host') ?? ''}`;
    const origin = c.req.header('Origin') ?? refererOrigin(c.req.header('Referer'));
    if (origin !== expected) {
      return c.text(`Refused: this request did not come from the Tresor console (origin ${origin ?? 'missing'}, expected ${expected}).`, 403);
    }
    const ct = c.req.header('Content-Type') ?? '';
    let sent: string | undefined = c.req.header('X-CSRF-Token');
    if (!sent && (ct.startsWith('application/x-www-form-urlencoded') || ct.startsWith('multipart/form-data'))) {
      const body = await c.req.parseBody();
      const v = body['_csrf'];
      sent = typeof v === 'string' ? v : undefined;
    }
    const want = c.get('csrf');
    if (!sameToken(sent, want) && !sameToken(sent, pre)) {
      return c.text('Refused: the form is out of date or was not sent by the console (CSRF token missing or wrong). Reload the page and try again.', 403);
    }
    return next();
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
