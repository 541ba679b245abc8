import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Auth, Permission } from '../auth/index.ts';
import { can } from '../auth/index.ts';
import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { WebEnv } from './env.ts';
import { cookieNames } from './security.ts';
import { pickLang } from './lang.ts';

/**
 * Finds who is asking: a Bearer token (API) or a session cookie (console).
 *
 * Tokens are for /api/ only (issue 16): an API token carries no second factor, skips the
 * CSRF check (it is no ambient credential) and has no second person behind it, so it
 * must not reach a console route — policies, purges, holds, approvals, users. A token
 * sent to one is refused (403) and logged as `access.denied`.
 */
export function identify(auth: Auth, log: LogWriter, opts: { tls: boolean }): MiddlewareHandler<WebEnv> {
  const names = cookieNames(opts.tls);
  return async (c, next) => {
    c.set('principal', null);
    c.set('user', null);
    c.set('csrf', '');
    const authz = c.req.header('Authorization');
    if (authz?.startsWith('Bearer ')) {
      const p = auth.bearer(authz.slice(7).trim());
      if (!isApi(c.req.path)) {
        if (!p) throw new TresorError('E_UNAUTHENTICATED', 'Sign in to the console; API tokens work on /api/ only.');
        // the area only (never the rest of a path someone typed)
        const area = /^\/([a-z-]{1,20})/.exec(c.req.path)?.[1] ?? '';
        await log.append([{ actor: p.actor, action: 'access.denied', target: `http:${c.req.method} /${area}`, detail: { needs: 'console-session', via: 'api-token' } }]);
        throw new TresorError('E_FORBIDDEN', 'API tokens work on /api/ only; the console needs a person signed in.');
      }
      c.set('principal', p);
    } else {
      const sid = getCookie(c, names.session);
      if (sid) {
        const s = auth.session(sid);
        if ('principal' in s) {
          c.set('principal', s.principal);
          c.set('user', s.user);
          c.set('csrf', s.session.csrf);
        }
      }
    }
    c.set('lang', pickLang(c, c.get('user')?.lang ?? null));
    return next();
  };
}

export const isApi = (path: string) => path.startsWith('/api/');
const isHtmx = (c: { req: { header(n: string): string | undefined } }) => c.req.header('HX-Request') === 'true';

/**
 * Guards a route: signed in, and holding the permission. A refusal of someone signed in
 * is logged (`access.denied`), so the DPO sees a supervisor poking at admin pages.
 */
export function requirePermission(log: LogWriter, perm?: Permission | Permission[]): MiddlewareHandler<WebEnv> {
  // a list means any one of them suffices
  const anyOf = perm === undefined ? [] : Array.isArray(perm) ? perm : [perm];
  const needs = anyOf.join('|');
  const needsText = anyOf.join(' or ');
  return async (c, next) => {
    const p = c.get('principal');
    if (!p) {
      if (isApi(c.req.path)) throw new TresorError('E_UNAUTHENTICATED', 'sign in first: send Authorization: Bearer <token>');
      const back = encodeURIComponent(c.req.path + (c.req.url.includes('?') ? c.req.url.slice(c.req.url.indexOf('?')) : ''));
      if (isHtmx(c)) return c.body(null, 401, { 'HX-Redirect': `/login?next=${back}` });
      if (c.req.method !== 'GET') throw new TresorError('E_UNAUTHENTICATED', 'Sign in first.');
      return c.redirect(`/login?next=${back}`, 303);
    }
    if (anyOf.length && !anyOf.some((x) => can(p.roles, x))) {
      await log.append([{ actor: p.actor, action: 'access.denied', target: `http:${c.req.method} ${c.req.routePath}`, detail: { needs } }]);
      throw new TresorError('E_FORBIDDEN', `your roles (${p.roles.join(', ')}) do not include ${needsText}`);
    }
    return next();
  };
}
