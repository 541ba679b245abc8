import { Hono } from 'hono';
import {
  addUser, createApiToken, getUser, lastAdminProblem, listApiTokens, listUsers, nameProblem, parseRoles, passwordProblem,
  revokeApiToken, summary, updateUser, type ApiTokenRow, type UserRow,
} from '../../auth/index.ts';
import { isTresorError, TresorError } from '../../core/errors.ts';
import { isDoneCode, userPage, usersLabel, usersPage, type DoneCode, type TokenSummary } from '../../../views/users.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { pageCtx } from '../page.ts';
import { requirePermission } from '../session.ts';
import { renewSession } from './account.ts';

/** Form fields; `role` may repeat (checkboxes), everything else is one string. */
async function fields(c: Ctx): Promise<{ one: (k: string) => string; all: (k: string) => string[] }> {
  const body = await c.req.parseBody({ all: true });
  const list = (k: string) => {
    const v = body[k];
    return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');
  };
  return { one: (k) => list(k)[0] ?? '', all: list };
}

const tokenSummary = (t: ApiTokenRow): TokenSummary => ({
  id: t.id, label: t.label, createdAt: t.createdAt, createdBy: t.createdBy, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt,
});

/**
 * User administration (`users.manage`). Every change goes through src/auth, which
 * writes the row and its log entry in one transaction; the log never sees a password,
 * hash, TOTP secret or token. The last enabled administrator cannot be disabled or
 * demoted (checked here for the message, and again inside the write transaction).
 */
export function adminRoutes(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  const { store } = deps.site;
  const log = deps.site.log;

  app.use('*', requirePermission(log, 'users.manage'));
  // A leaked integration token must not be able to create administrators: user
  // management needs a person signed in to the console.
  app.use('*', async (c, next) => {
    if (!c.get('user')) return c.text(usersLabel(c.get('lang'), 'notSession'), 403);
    return next();
  });

  const actor = (c: Ctx) => c.get('principal')!.actor;
  const sorted = () => listUsers(store).sort((a, b) => a.name.localeCompare(b.name)).map(summary);

  const renderList = (c: Ctx, status: 200 | 400, extra: { message?: string; draft?: { name: string; roles: string[] } } = {}) => {
    const done = c.req.query('done');
    return c.html(usersPage(pageCtx(c), { users: sorted(), ...(isDoneCode(done) && status === 200 ? { done } : {}), ...extra }), status);
  };

  const target = (c: Ctx): UserRow => {
    const name = c.req.param('name') ?? '';
    const u = nameProblem(name) ? undefined : getUser(store, name);
    if (!u) throw new TresorError('E_NOT_FOUND', `no user "${name}"`);
    return u;
  };

  const renderUser = (c: Ctx, u: UserRow, status: 200 | 400, extra: { message?: string; newToken?: { id: string; token: string; label: string }; draftRoles?: string[] } = {}) => {
    const done = c.req.query('done');
    return c.html(userPage(pageCtx(c), {
      user: summary(u), tokens: listApiTokens(store, u.name).sort((a, b) => b.createdAt - a.createdAt).map(tokenSummary),
      ...(isDoneCode(done) && status === 200 && !extra.newToken ? { done } : {}), ...extra,
    }), status);
  };

  /**
   * Runs one change to a user; on a refusal the page comes back with the message
   * (400). When admins change their own account in a way that ends sessions, this
   * session is renewed (see renewSession), unless all sessions were meant to end.
   */
  async function change(c: Ctx, u: UserRow, done: DoneCode, fn: () => Promise<UserRow | void>, opts: { renew?: boolean; draftRoles?: string[] } = {}) {
    let row: UserRow | void;
    try {
      row = await fn();
    } catch (e) {
      if (isTresorError(e, 'E_USAGE') || isTresorError(e, 'E_FORBIDDEN')) {
        return renderUser(c, getUser(store, u.name) ?? u, 400, { message: e.message, ...(opts.draftRoles ? { draftRoles: opts.draftRoles } : {}) });
      }
      throw e;
    }
    const self = u.name === c.get('user')!.name;
    if (self && row && opts.renew !== false && !row.disabled) {
      await renewSession(c, deps, row);
      // an administrator who gave up the role is sent where they may still go
      if (!row.roles.includes('admin')) return c.redirect('/account', 303);
    }
    return c.redirect(`/admin/users/${u.name}?done=${done}`, 303);
  }

  app.get('/', (c) => c.redirect('/admin/users', 303));
  app.get('/users', (c) => renderList(c, 200));

  app.post('/users', async (c) => {
    const f = await fields(c);
    const name = f.one('name').trim().toLowerCase();
    const roleList = f.all('role');
    const draft = { name, roles: roleList };
    try {
      const np = nameProblem(name);
      if (np) throw new TresorError('E_USAGE', np);
      const roles = parseRoles(roleList);
      const pp = passwordProblem(f.one('password'));
      if (pp) throw new TresorError('E_USAGE', pp);
      await addUser(store, log, actor(c), { name, roles, password: f.one('password') });
    } catch (e) {
      if (isTresorError(e, 'E_USAGE')) return renderList(c, 400, { message: e.message, draft });
      throw e;
    }
    return c.redirect(`/admin/users/${name}?done=created`, 303);
  });

  app.get('/users/:name', (c) => renderUser(c, target(c), 200));

  app.post('/users/:name/roles', async (c) => {
    const u = target(c);
    const f = await fields(c);
    const wanted = f.all('role');
    return change(c, u, 'roles', async () => {
      const roles = parseRoles(wanted);
      const problem = lastAdminProblem(store, u, { roles, disabled: u.disabled });
      if (problem) throw new TresorError('E_FORBIDDEN', problem);
      return updateUser(store, log, actor(c), u.name, { roles });
    }, { draftRoles: wanted });
  });

  app.post('/users/:name/disable', async (c) => {
    const u = target(c);
    return change(c, u, 'disabled', async () => {
      if (u.name === c.get('user')!.name) throw new TresorError('E_FORBIDDEN', usersLabel(c.get('lang'), 'selfDisable'));
      const problem = lastAdminProblem(store, u, { roles: u.roles, disabled: true });
      if (problem) throw new TresorError('E_FORBIDDEN', problem);
      return updateUser(store, log, actor(c), u.name, { disabled: true });
    });
  });

  app.post('/users/:name/enable', async (c) => {
    const u = target(c);
    return change(c, u, 'enabled', () => updateUser(store, log, actor(c), u.name, { disabled: false }));
  });

  app.post('/users/:name/password', async (c) => {
    const u = target(c);
    const f = await fields(c);
    return change(c, u, 'password', async () => {
      const pw = f.one('password');
      const pp = passwordProblem(pw);
      if (pp) throw new TresorError('E_USAGE', pp);
      return updateUser(store, log, actor(c), u.name, { password: pw });
    });
  });

  app.post('/users/:name/sessions', async (c) => {
    const u = target(c);
    return change(c, u, 'sessions', () => updateUser(store, log, actor(c), u.name, { endSessions: true }), { renew: false });
  });

  app.post('/users/:name/totp-remove', async (c) => {
    const u = target(c);
    return change(c, u, 'totp', () => updateUser(store, log, actor(c), u.name, { totpSecret: null }));
  });

  app.post('/users/:name/tokens', async (c) => {
    const u = target(c);
    const f = await fields(c);
    const label = f.one('label').trim().slice(0, 100);
    if (u.disabled) return renderUser(c, u, 400, { message: `"${u.name}" is disabled: enable the account before creating tokens for it` });
    const { token, row } = await createApiToken(store, log, actor(c), u.name, label);
    // shown on this response only: no redirect, so the token never sits in a URL or history entry
    return renderUser(c, u, 200, { newToken: { id: row.id, token, label: row.label } });
  });

  app.post('/users/:name/tokens/:id/revoke', async (c) => {
    const u = target(c);
    const id = c.req.param('id');
    const t = listApiTokens(store, u.name).find((x) => x.id === id);
    if (!t) throw new TresorError('E_NOT_FOUND', `no API token ${id} for "${u.name}"`);
    return change(c, u, 'revoked', () => revokeApiToken(store, log, actor(c), t.id), { renew: false });
  });

  return app;
}
