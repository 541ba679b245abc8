import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { createApiToken, listApiTokens, revokeApiToken, storeTotpSecret, summary, TotpEnrolments, totpRequired, updateUser } from '../../auth/index.ts';
import type { UserRow } from '../../store/index.ts';
import { verifyPassword, passwordProblem } from '../../auth/passwords.ts';
import { createSession, endSession } from '../../auth/sessions.ts';
import { TresorError } from '../../core/errors.ts';
import { qrSvg } from '../../documents/index.ts';
import { accountLabel, accountPage, isAccountDone, totpEnrolPage, type AccountForm, type AccountLabel } from '../../../views/account.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal, type Refusal } from '../errors.ts';
import { form, pageCtx } from '../page.ts';
import { cookieNames } from '../security.ts';
import { requirePermission } from '../session.ts';

const PENDING_TTL_MS = 10 * 60_000;

/**
 * After a change that raised the user's session epoch (own password, own TOTP, own
 * roles), every session ends, this one too. The person who made the change keeps
 * working: this session is replaced by a fresh one (new id, new CSRF token), the others
 * stay ended.
 */
export async function renewSession(c: Ctx, deps: AppDeps, user: UserRow): Promise<void> {
  const tls = !!(deps.config.web.tlsCert && deps.config.web.tlsKey);
  const old = c.get('principal')?.sessionKey;
  if (old) await endSession(deps.site.store, old);
  const { id } = await createSession(deps.site.store, user.name, user.sessionEpoch, Date.now());
  setCookie(c, cookieNames(tls).session, id, {
    httpOnly: true, sameSite: 'Strict', path: '/', secure: tls, maxAge: deps.config.auth.sessionMaxHours * 3600,
  });
}

/** The signed-in user's own account: password, TOTP enrolment, own API tokens, sign out everywhere. */
export function accountRoutes(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  const { store } = deps.site;
  const log = deps.site.log;
  const throttle = deps.auth.throttle;
  // TOTP secrets offered but not yet confirmed, by session: never in the page's form,
  // never in the index until the user proved their app has it.
  const pending = new TotpEnrolments({ ttlMs: PENDING_TTL_MS });
  const mandatory = (u: UserRow) => totpRequired(u, deps.config.auth.requireTotpForPrivileged).byPolicy;

  app.use('*', requirePermission(log));
  // API tokens act for integrations; an account page needs a person with a session.
  app.use('*', async (c, next) => {
    if (!c.get('user')) throw new TresorError('E_FORBIDDEN', accountLabel(c.get('lang'), 'err.session'));
    return next();
  });

  const render = (c: Ctx, status: 200 | 429 | Refusal['status'], message?: { form: AccountForm; text: string }, newToken?: { id: string; token: string; label: string }) => {
    const u = c.get('user')!;
    const done = c.req.query('done');
    const tokens = listApiTokens(store, u.name).sort((a, b) => b.createdAt - a.createdAt)
      .map((t) => ({ id: t.id, label: t.label, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt }));
    return c.html(accountPage(pageCtx(c), {
      user: summary(u), totpRequired: mandatory(u), tokens, ...(newToken ? { newToken } : {}),
      ...(isAccountDone(done) && !message && !newToken ? { done } : {}), ...(message ? { message } : {}),
    }), status);
  };
  const L = (c: Ctx, k: AccountLabel, vars?: Record<string, string | number>) => accountLabel(c.get('lang'), k, vars);

  /** Checks the current password with the login throttle: a stolen session must not become a password oracle. */
  async function currentPasswordProblem(c: Ctx, current: string): Promise<{ status: 400 | 429; text: string } | null> {
    const u = c.get('user')!;
    const keys = [`user:${u.name}`];
    const wait = throttle.retryAfterMs(keys);
    if (wait > 0) return { status: 429, text: L(c, 'err.throttled', { s: Math.ceil(wait / 1000) }) };
    if (await verifyPassword(current, u.passwordHash)) return null;
    throttle.failed(keys);
    await log.append([{ actor: c.get('principal')!.actor, action: 'auth.password.check.failed', target: `user:${u.name}`, detail: { at: c.req.path } }]);
    return { status: 400, text: L(c, 'err.current') };
  }

  app.get('/', (c) => render(c, 200));

  app.post('/password', async (c) => {
    const f = await form(c);
    const u = c.get('user')!;
    const bad = await currentPasswordProblem(c, f.current ?? '');
    if (bad) return render(c, bad.status, { form: 'password', text: bad.text });
    const pw = f.password ?? '';
    if (pw !== (f.password2 ?? '')) return render(c, 400, { form: 'password', text: L(c, 'err.mismatch') });
    const problem = passwordProblem(pw);
    if (problem) return render(c, 400, { form: 'password', text: problem });
    const row = await updateUser(store, log, c.get('principal')!.actor, u.name, { password: pw });
    await renewSession(c, deps, row);
    return c.redirect('/account?done=password', 303);
  });

  app.post('/totp/start', async (c) => {
    const u = c.get('user')!;
    if (u.totpSecret) return render(c, 400, { form: 'totp', text: L(c, 'err.totpOn') });
    pending.start(u.name, { key: c.get('principal')!.sessionKey! });
    return c.redirect('/account/totp', 303);
  });

  const pendingOf = (c: Ctx) => pending.get(c.get('principal')!.sessionKey!, c.get('user')!.name);

  app.get('/totp', (c) => {
    const p = pendingOf(c);
    if (!p) return c.redirect('/account', 303);
    return c.html(totpEnrolPage(pageCtx(c), { secret: p.secret, uri: p.uri, qr: qrSvg(p.uri, 4, L(c, 'qr')) }));
  });

  app.post('/totp/confirm', async (c) => {
    const f = await form(c);
    const u = c.get('user')!;
    const p = pendingOf(c);
    if (!p) return render(c, 400, { form: 'totp', text: L(c, 'err.expired') });
    if (u.totpSecret) return render(c, 400, { form: 'totp', text: L(c, 'err.totpOn') });
    const step = pending.check(p, (f.code ?? '').replace(/\s/g, ''));
    if (step === null) {
      return c.html(totpEnrolPage(pageCtx(c), { secret: p.secret, uri: p.uri, qr: qrSvg(p.uri, 4, L(c, 'qr')), message: L(c, 'err.code') }), 400);
    }
    // the code just used counts as used: it cannot sign anyone in a second time
    const row = await storeTotpSecret({ store, log, secrets: deps.secrets }, c.get('principal')!.actor, u.name, p.secret, step);
    pending.drop(c.get('principal')!.sessionKey!);
    await renewSession(c, deps, row);
    return c.redirect('/account?done=totp', 303);
  });

  app.post('/totp/remove', async (c) => {
    const f = await form(c);
    const u = c.get('user')!;
    if (mandatory(u)) return render(c, 400, { form: 'totp', text: L(c, 'err.required') });
    const bad = await currentPasswordProblem(c, f.current ?? '');
    if (bad) return render(c, bad.status, { form: 'totp', text: bad.text });
    if (!u.totpSecret) return c.redirect('/account', 303);
    try {
      const row = await updateUser(store, log, c.get('principal')!.actor, u.name, { totpSecret: null });
      await renewSession(c, deps, row);
    } catch (e) {
      const r = refusal(e, c.get('lang'));
      if (!r) throw e;
      return render(c, r.status, { form: 'totp', text: r.message });
    }
    return c.redirect('/account?done=totpRemoved', 303);
  });

  // API tokens are made by their owner (issue 16): the current password proves it is the
  // person, not someone at an unlocked screen, since a token outlives the session.
  app.post('/tokens', async (c) => {
    const f = await form(c);
    const u = c.get('user')!;
    const bad = await currentPasswordProblem(c, f.current ?? '');
    if (bad) return render(c, bad.status, { form: 'tokens', text: bad.text });
    const { token, row } = await createApiToken(store, log, c.get('principal')!.actor, u.name, (f.label ?? '').trim());
    // shown on this response only: no redirect, so the token never sits in a URL or history entry
    return render(c, 200, undefined, { id: row.id, token, label: row.label });
  });

  app.post('/tokens/:id/revoke', async (c) => {
    const u = c.get('user')!;
    const t = listApiTokens(store, u.name).find((x) => x.id === c.req.param('id'));
    if (!t) throw new TresorError('E_NOT_FOUND', `you have no API token ${c.req.param('id')}`);
    await revokeApiToken(store, log, c.get('principal')!.actor, t.id);
    return c.redirect('/account?done=revoked', 303);
  });

  return app;
}
