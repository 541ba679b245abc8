import { Hono } from 'hono';
import { setCookie, deleteCookie } from 'hono/cookie';
import { nameProblem, passwordLinkValid, passwordProblem, setPasswordWithLink, updateUser } from '../../auth/index.ts';
import { isTresorError } from '../../core/errors.ts';
import { qrSvg } from '../../documents/index.ts';
import { loginPage, setPasswordLabel, setPasswordPage, setupPage, totpEnrolPage } from '../../../views/login.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { LANG_COOKIE } from '../lang.ts';
import { messageIn } from '../../../views/messages.ts';
import { clientAddress, form, pageCtx, safeNext } from '../page.ts';
import { cookieNames, newPreCookie } from '../security.ts';

/** Sign in, sign out, first-start setup, set-password links, language choice. */
export function loginRoutes(deps: Pick<AppDeps, 'auth' | 'site'>, opts: { tls: boolean; sessionMaxHours: number }) {
  const { auth } = deps;
  const app = new Hono<WebEnv>();
  const names = cookieNames(opts.tls);

  // A new session id at every sign-in, and a new pre-login cookie: the token of the
  // login form must not stay valid beside the session's (issue 16).
  const startSession = (c: Ctx, sessionId: string) => {
    setCookie(c, names.session, sessionId, {
      httpOnly: true, sameSite: 'Strict', path: '/', secure: opts.tls, maxAge: opts.sessionMaxHours * 3600,
    });
    newPreCookie(c, opts.tls);
  };

  app.get('/login', (c) => {
    const ctx = pageCtx(c);
    if (c.get('principal')) return c.redirect(safeNext(c.req.query('next')), 303);
    return c.html(loginPage(ctx, { next: c.req.query('next'), ...(c.req.query('expired') ? { message: ctx.t('login.expired') } : {}) }));
  });

  app.post('/login', async (c) => {
    const ctx = pageCtx(c);
    const f = await form(c);
    // A new session id at every login (no fixation): the old one, if any, ends.
    const old = c.get('principal');
    if (old) await auth.logout(old);
    const r = await auth.login({ name: f.name ?? '', password: f.password ?? '', totp: f.totp || undefined, address: clientAddress(c) });
    if (r.ok) {
      startSession(c, r.sessionId);
      return c.redirect(safeNext(f.next), 303);
    }
    if (r.reason === 'totp-enrol-needed') return c.html(totpEnrolPage({ ...ctx, principal: null }, { ...r.enrolment, qr: qrSvg(r.enrolment.uri, 4, ctx.t('login.totpQr')), next: f.next }), 200);
    const message = r.reason === 'throttled' ? ctx.t('login.throttled', { s: Math.ceil((r.retryAfterMs ?? 0) / 1000) })
      : r.reason === 'totp-needed' ? ctx.t('login.totpNeeded') : ctx.t('login.invalid');
    const status = r.reason === 'throttled' ? 429 : 401;
    if (r.retryAfterMs) c.header('Retry-After', String(Math.ceil(r.retryAfterMs / 1000)));
    return c.html(loginPage({ ...ctx, principal: null }, { name: f.name, next: f.next, message, askTotp: r.reason === 'totp-needed' }), status);
  });

  // First sign-in of a user whose role requires TOTP: prove the authenticator works, then in.
  app.post('/login/totp-enrol', async (c) => {
    const ctx = pageCtx(c);
    const f = await form(c);
    const r = await auth.completeEnrolment({ token: f.token ?? '', code: f.code ?? '', address: clientAddress(c) });
    if (r.ok) {
      startSession(c, r.sessionId);
      return c.redirect(safeNext(f.next), 303);
    }
    if (r.reason === 'totp-enrol-needed') {
      return c.html(totpEnrolPage({ ...ctx, principal: null }, { ...r.enrolment, qr: qrSvg(r.enrolment.uri, 4, ctx.t('login.totpQr')), next: f.next, message: ctx.t('login.totpNeeded') }), 401);
    }
    const message = r.reason === 'throttled' ? ctx.t('login.throttled', { s: Math.ceil(((r as { retryAfterMs?: number }).retryAfterMs ?? 0) / 1000) }) : ctx.t('login.expired');
    return c.html(loginPage({ ...ctx, principal: null }, { next: f.next, message }), r.reason === 'throttled' ? 429 : 401);
  });

  app.post('/logout', async (c) => {
    const p = c.get('principal');
    const f = await form(c);
    if (p) await auth.logout(p, f.everywhere === '1');
    deleteCookie(c, names.session, { path: '/', secure: opts.tls });
    return c.redirect('/login', 303);
  });

  app.get('/setup', (c) => {
    const token = c.req.query('token') ?? '';
    return c.html(setupPage(pageCtx(c), { token, valid: auth.setupValid(token) }), auth.setupValid(token) ? 200 : 410);
  });

  app.post('/setup', async (c) => {
    const ctx = pageCtx(c);
    const f = await form(c);
    const token = f.token ?? '';
    try {
      const u = await auth.completeSetup(token, (f.name ?? '').trim().toLowerCase(), f.password ?? '');
      const r = await auth.login({ name: u.name, password: f.password ?? '', address: clientAddress(c) });
      if (r.ok) startSession(c, r.sessionId);
      return c.redirect('/admin/users', 303);
    } catch (e) {
      if (isTresorError(e, 'E_INVALID')) return c.html(setupPage(ctx, { token, valid: true, name: f.name, message: messageIn(ctx.lang, e.message).text }), 400);
      if (isTresorError(e, 'E_FORBIDDEN')) return c.html(setupPage(ctx, { token, valid: false }), 410);
      throw e;
    }
  });

  // Set-password links (src/auth/password-links.ts): the person chooses their own password.
  const linkOf = (user: string | undefined, token: string | undefined) => {
    const name = (user ?? '').trim().toLowerCase();
    return { name, token: token ?? '', valid: !nameProblem(name) && passwordLinkValid(deps.site.store, name, token ?? '') };
  };

  app.get('/password/set', (c) => {
    const l = linkOf(c.req.query('user'), c.req.query('token'));
    return c.html(setPasswordPage(pageCtx(c), { user: l.name, token: l.token, valid: l.valid }), l.valid ? 200 : 410);
  });

  app.post('/password/set', async (c) => {
    const ctx = pageCtx(c);
    const f = await form(c);
    const l = linkOf(f.user, f.token);
    if (!l.valid) return c.html(setPasswordPage(ctx, { user: l.name, token: '', valid: false }), 410);
    const pw = f.password ?? '';
    const problem = pw !== (f.password2 ?? '') ? setPasswordLabel(ctx.lang, 'mismatch') : passwordProblem(pw);
    if (problem) return c.html(setPasswordPage(ctx, { user: l.name, token: l.token, valid: true, message: problem }), 400);
    try {
      await setPasswordWithLink(deps.site.store, deps.site.log, l.name, l.token, pw);
    } catch (e) {
      if (isTresorError(e, 'E_FORBIDDEN')) return c.html(setPasswordPage(ctx, { user: l.name, token: '', valid: false }), 410);
      throw e;
    }
    return c.redirect('/login', 303);
  });

  app.post('/lang', async (c) => {
    const f = await form(c);
    const to = f.to === 'de' ? 'de' : 'en';
    setCookie(c, LANG_COOKIE, to, { sameSite: 'Strict', path: '/', secure: opts.tls, maxAge: 365 * 86400 });
    // Signed in: the choice belongs to the person, not only to this browser (issue 15 #7):
    // it follows them to the next browser and wins over a cookie someone else left there.
    const user = c.get('user');
    if (user && user.lang !== to) await updateUser(deps.site.store, deps.site.log, `user:${user.name}`, user.name, { lang: to });
    const back = c.req.header('Referer');
    let path = '/';
    try {
      if (back) path = safeNext(new URL(back).pathname + new URL(back).search);
    } catch { /* keep / */ }
    return c.redirect(path, 303);
  });

  return app;
}
