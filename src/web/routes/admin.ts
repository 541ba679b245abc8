import { Hono } from 'hono';
import {
  addUser, getUser, issuePasswordLink, lastAdminProblem, listApiTokens, listUsers, nameProblem, parseRoles,
  PERSONAL_DATA_ROLES, revokeApiToken, ROLE_GRANT_KIND, ROLES, splitRoleChange, summary, updateUser, type Role,
} from '../../auth/index.ts';
import type { ApiTokenRow, UserRow } from '../../store/index.ts';
import { TresorError } from '../../core/errors.ts';
import { pendingApprovals, requestApproval } from '../../approvals/index.ts';
import { isDoneCode, userPage, usersLabel, usersPage, type DoneCode, type TokenSummary } from '../../../views/users.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal, type Refusal } from '../errors.ts';
import { pageCtx, readForm } from '../page.ts';
import { requirePermission } from '../session.ts';
import { renewSession } from './account.ts';
import { directoryRoutes } from './directory.ts';

/** Form fields; `role` may repeat (checkboxes), everything else is one string. */
async function fields(c: Ctx): Promise<{ one: (k: string) => string; all: (k: string) => string[] }> {
  const body = await readForm(c, { all: true });
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
 *
 * Separation of duties (issue 16): an administrator alone cannot reach audio or personal
 * data. Granting a role that sees them (supervisor, dpo) files a four-eyes request; new
 * accounts and password resets get a one-time set-password link for the person, never a
 * password the administrator typed; API tokens are made by their owner (Account) or on
 * the box (`tresor token create`) — an administrator may revoke a token, not mint one.
 */
export function adminRoutes(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  const { store } = deps.site;
  const log = deps.site.log;

  app.use('*', requirePermission(log, 'users.manage'));
  // A leaked integration token must not be able to create administrators: user
  // management needs a person signed in to the console.
  app.use('*', async (c, next) => {
    if (!c.get('user')) throw new TresorError('E_FORBIDDEN', usersLabel(c.get('lang'), 'notSession'));
    return next();
  });

  const actor = (c: Ctx) => c.get('principal')!.actor;
  // the forms' role boxes, with the roles whose grant waits for a second person marked
  const roleChoices = ROLES.map((role) => ({ role, fourEyes: PERSONAL_DATA_ROLES.includes(role) }));
  const sorted = () => listUsers(store).sort((a, b) => a.name.localeCompare(b.name)).map(summary);

  const renderList = (c: Ctx, status: 200 | Refusal['status'], extra: { message?: string; draft?: { name: string; roles: string[] } } = {}) => {
    const done = c.req.query('done');
    return c.html(usersPage(pageCtx(c), { users: sorted(), roleChoices, ...(isDoneCode(done) && status === 200 ? { done } : {}), ...extra }), status);
  };

  const target = (c: Ctx): UserRow => {
    const name = c.req.param('name') ?? '';
    const u = nameProblem(name) ? undefined : getUser(store, name);
    if (!u) throw new TresorError('E_NOT_FOUND', `no user "${name}"`);
    return u;
  };

  type Extra = { message?: string; newLink?: { url: string; expiresAt: number }; draftRoles?: string[]; done?: DoneCode };
  const renderUser = (c: Ctx, u: UserRow, status: 200 | Refusal['status'], extra: Extra = {}) => {
    const done = c.req.query('done');
    const grants = pendingApprovals(store, { target: `user:${u.name}` }).filter((a) => a.kind === ROLE_GRANT_KIND)
      .map((a) => ({ id: a.id, roles: (Array.isArray(a.payload.roles) ? a.payload.roles : []) as string[], requestedBy: a.requestedBy }));
    return c.html(userPage(pageCtx(c), {
      roleChoices,
      user: summary(u), tokens: listApiTokens(store, u.name).sort((a, b) => b.createdAt - a.createdAt).map(tokenSummary), pendingGrants: grants,
      ...(isDoneCode(done) && status === 200 && !extra.newLink ? { done } : {}), ...extra,
    }), status);
  };

  /** The link a person opens to choose their password (shown once to the administrator). */
  const linkFor = async (c: Ctx, name: string) => {
    const { token, expiresAt } = await issuePasswordLink(store, log, actor(c), name);
    const origin = deps.config.web.publicOrigin ?? new URL(c.req.url).origin.replace(/^http:/, deps.config.web.tlsCert ? 'https:' : 'http:');
    return { url: `${origin}/password/set?user=${encodeURIComponent(name)}&token=${token}`, expiresAt };
  };

  /**
   * Files the four-eyes request for the personal-data roles of a wanted set; nobody who
   * receives the roles may decide it. Validated before anything is written.
   */
  const requestGrant = (c: Ctx, name: string, roles: Role[], reason: string) => requestApproval(store, log, {
    kind: ROLE_GRANT_KIND, target: `user:${name}`, by: actor(c), person: c.get('user')!.name, reason,
    payload: { user: name, roles }, beneficiaries: [name],
  });
  const needReason = (c: Ctx, name: string, reason: string) => {
    if (!reason.trim()) throw new TresorError('E_INVALID', usersLabel(c.get('lang'), 'grantReasonNeeded'));
    // (room for the note a new account's request gets; checked before anything is written)
    if (reason.trim().length > 1800) throw new TresorError('E_INVALID', 'the reason is longer than 1800 characters');
    const waiting = pendingApprovals(store, { target: `user:${name}` }).find((a) => a.kind === ROLE_GRANT_KIND);
    if (waiting) throw new TresorError('E_CONFLICT', usersLabel(c.get('lang'), 'grantWaiting', { id: waiting.id }));
  };

  /**
   * Runs one change to a user; on a refusal the page comes back with the message (at the
   * status of its code, src/web/errors.ts). When admins change their own account in a way
   * that ends sessions, this session is renewed (see renewSession), unless all sessions
   * were meant to end.
   */
  async function change(c: Ctx, u: UserRow, done: DoneCode | (() => DoneCode), fn: () => Promise<UserRow | void>, opts: { renew?: boolean; draftRoles?: string[] } = {}) {
    let row: UserRow | void;
    try {
      row = await fn();
    } catch (e) {
      const r = refusal(e, c.get('lang'));
      if (!r) throw e;
      return renderUser(c, getUser(store, u.name) ?? u, r.status, { message: r.message, ...(opts.draftRoles ? { draftRoles: opts.draftRoles } : {}) });
    }
    const self = u.name === c.get('user')!.name;
    if (self && row && opts.renew !== false && !row.disabled) {
      await renewSession(c, deps, row);
      // an administrator who gave up the role is sent where they may still go
      if (!row.roles.includes('admin')) return c.redirect('/account', 303);
    }
    return c.redirect(`/admin/users/${u.name}?done=${typeof done === 'function' ? done() : done}`, 303);
  }

  app.get('/', (c) => c.redirect('/admin/users', 303));
  // the extension directory (issue 15): same guard (users.manage, a console session)
  app.route('/extensions', directoryRoutes(deps));

  app.get('/users', (c) => renderList(c, 200));

  // A new account has no password until its owner picks one through the link shown here;
  // a role that sees personal data waits for a second person.
  app.post('/users', async (c) => {
    const f = await fields(c);
    const name = f.one('name').trim().toLowerCase();
    const roleList = f.all('role');
    const reason = f.one('reason');
    const draft = { name, roles: roleList, reason };
    let row: UserRow;
    let grant: Role[];
    try {
      const np = nameProblem(name);
      if (np) throw new TresorError('E_INVALID', np);
      const roles = parseRoles(roleList);
      const split = splitRoleChange([], roles);
      grant = split.grant;
      if (grant.length) needReason(c, name, reason);
      row = await addUser(store, log, actor(c), { name, roles: split.now });
      // the approver is told to check that the person, not the admin, set the password
      if (grant.length) await requestGrant(c, name, grant, `${reason.trim()} — ${usersLabel(c.get('lang'), 'newAccountGrantNote', { name })}`);
    } catch (e) {
      const r = refusal(e, c.get('lang'));
      if (!r) throw e;
      return renderList(c, r.status, { message: r.message, draft });
    }
    return renderUser(c, getUser(store, name) ?? row, 200, { newLink: await linkFor(c, name), done: grant.length ? 'created-grant' : 'created' });
  });

  app.get('/users/:name', (c) => renderUser(c, target(c), 200));

  // Taking roles away, and roles without personal data, apply at once; supervisor and dpo
  // become a four-eyes request (decided on /approvals by someone else than the receiver).
  app.post('/users/:name/roles', async (c) => {
    const u = target(c);
    const f = await fields(c);
    const wanted = f.all('role');
    const reason = f.one('reason');
    let asked = false;
    return change(c, u, () => (asked ? 'grant-requested' : 'roles'), async () => {
      const roles = parseRoles(wanted);
      const { now, grant } = splitRoleChange(u.roles, roles);
      const problem = lastAdminProblem(store, u, { roles: now, disabled: u.disabled });
      if (problem) throw new TresorError('E_LAST_ADMIN', problem);
      if (grant.length) needReason(c, u.name, reason);
      // (saving the same roles again still ends the sessions, as before; a grant alone changes nothing yet)
      const same = now.length === u.roles.length && now.every((r) => u.roles.includes(r));
      const row = same && grant.length ? undefined : await updateUser(store, log, actor(c), u.name, { roles: now });
      if (grant.length) {
        await requestGrant(c, u.name, grant, reason);
        asked = true;
      }
      return row;
    }, { draftRoles: wanted });
  });

  app.post('/users/:name/disable', async (c) => {
    const u = target(c);
    return change(c, u, 'disabled', async () => {
      if (u.name === c.get('user')!.name) throw new TresorError('E_INVALID', usersLabel(c.get('lang'), 'selfDisable'));
      const problem = lastAdminProblem(store, u, { roles: u.roles, disabled: true });
      if (problem) throw new TresorError('E_LAST_ADMIN', problem);
      return updateUser(store, log, actor(c), u.name, { disabled: true });
    });
  });

  app.post('/users/:name/enable', async (c) => {
    const u = target(c);
    return change(c, u, 'enabled', () => updateUser(store, log, actor(c), u.name, { disabled: false }));
  });

  // A reset ends the old password and every session; the person picks a new one through
  // the link (the administrator never learns it). For your own password: /account.
  //
  // The link passes through the administrator's hands, so whoever uses it could be them:
  // an account that sees personal data loses those roles at the reset, and gets them back
  // when a second person — who confirms with its owner that they chose the password —
  // approves (the same four-eyes request as a grant). An admin alone can thus take over
  // an account, never its access to calls.
  app.post('/users/:name/password', async (c) => {
    const u = target(c);
    const lang = c.get('lang');
    if (u.name === c.get('user')!.name) return renderUser(c, u, 400, { message: usersLabel(lang, 'selfReset') });
    const { grant: suspended } = splitRoleChange([], u.roles);
    if (suspended.length) {
      const waiting = pendingApprovals(store, { target: `user:${u.name}` }).find((a) => a.kind === ROLE_GRANT_KIND);
      if (waiting) return renderUser(c, u, 400, { message: usersLabel(lang, 'grantWaiting', { id: waiting.id }) });
      await updateUser(store, log, actor(c), u.name, { roles: u.roles.filter((r) => !suspended.includes(r)), logDetail: { suspended, why: 'password-reset' } });
      await requestGrant(c, u.name, suspended, usersLabel(lang, 'resetGrantReason', { name: u.name, by: c.get('user')!.name }));
    }
    const newLink = await linkFor(c, u.name);
    return renderUser(c, getUser(store, u.name) ?? u, 200, { newLink, done: suspended.length ? 'password-suspended' : 'password' });
  });

  app.post('/users/:name/sessions', async (c) => {
    const u = target(c);
    return change(c, u, 'sessions', () => updateUser(store, log, actor(c), u.name, { endSessions: true }), { renew: false });
  });

  app.post('/users/:name/totp-remove', async (c) => {
    const u = target(c);
    return change(c, u, 'totp', () => updateUser(store, log, actor(c), u.name, { totpSecret: null }));
  });

  // No POST /users/:name/tokens: nobody creates a credential that acts as someone else.
  // A token is made by its owner (/account) or on the box (`tresor token create`).

  app.post('/users/:name/tokens/:id/revoke', async (c) => {
    const u = target(c);
    const id = c.req.param('id');
    const t = listApiTokens(store, u.name).find((x) => x.id === id);
    if (!t) throw new TresorError('E_NOT_FOUND', `no API token ${id} for "${u.name}"`);
    return change(c, u, 'revoked', () => revokeApiToken(store, log, actor(c), t.id), { renew: false });
  });

  return app;
}
