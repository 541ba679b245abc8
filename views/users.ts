import { html, raw } from 'hono/html';
import type { Lang } from './i18n.ts';
import { usersLabel, type UsersLabel } from './labels/users.ts';
import { csrfField, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

/** User administration (/admin/users): list, add, and one page per user. */

type Key = UsersLabel;

export { usersLabel };

/** Notices after a redirect come as a code (`?done=roles`), never as free text from the URL. */
export const DONE_CODES = ['created', 'created-grant', 'roles', 'grant-requested', 'disabled', 'enabled', 'password', 'password-suspended', 'sessions', 'totp', 'revoked'] as const;
export type DoneCode = (typeof DONE_CODES)[number];
export const isDoneCode = (s: string | undefined): s is DoneCode => !!s && (DONE_CODES as readonly string[]).includes(s);

export interface TokenSummary {
  id: string;
  label: string;
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

function message(msg: string | undefined): Html | string {
  return msg ? html`<p class="error" role="alert">${msg}</p>` : '';
}

function notice(ctx: PageCtx, done: DoneCode | undefined): Html | string {
  return done ? html`<p class="ok" role="status">${usersLabel(ctx.lang, `done.${done}`)}</p>` : '';
}

/** A user as the pages show it (src/auth/users.ts, UserSummary). */
export interface UserView {
  name: string;
  roles: readonly string[];
  disabled: boolean;
  totp: boolean;
  createdAt: string;
  createdBy: string;
}

/** A role the forms offer; `fourEyes`: granting it waits for a second person (src/auth/role-grants.ts). */
export interface RoleChoice {
  role: string;
  fourEyes: boolean;
}

function roleBoxes(ctx: PageCtx, idPrefix: string, checked: readonly string[], choices: readonly RoleChoice[]): Html {
  const L = (k: Key) => usersLabel(ctx.lang, k);
  return html`<fieldset><legend>${L('roles')}</legend>
    ${choices.map(({ role: r, fourEyes }) => html`<div><input type="checkbox" id="${idPrefix}-${r}" name="role" value="${r}"${checked.includes(r) ? raw(' checked') : ''}>
      <label for="${idPrefix}-${r}">${L(`role.${r}` as Key)}${fourEyes ? html` <span class="muted">(${L('fourEyesRole')})</span>` : ''}</label></div>`)}
  </fieldset>`;
}

function reasonField(id: string, value: string, L: (k: Key) => string): Html {
  return html`<div><label for="${id}">${L('reason')}</label>
    <textarea id="${id}" name="reason" rows="2" maxlength="2000" aria-describedby="${id}-hint">${value}</textarea>
    <small id="${id}-hint" class="muted">${L('reasonHint')}</small></div>`;
}

export function usersPage(ctx: PageCtx, v: {
  users: UserView[];
  /** the roles the add form offers */
  roleChoices: readonly RoleChoice[];
  message?: string;
  done?: DoneCode;
  /** what the add form held when it was refused */
  draft?: { name: string; roles: string[]; reason?: string };
}): Html {
  const L = (k: Key) => usersLabel(ctx.lang, k);
  const self = ctx.principal?.name;
  return layout(ctx, L('title'), html`
${notice(ctx, v.done)}
${v.users.length ? html`<div class="table-wrap"><table>
  <thead><tr><th scope="col">${L('name')}</th><th scope="col">${L('roles')}</th><th scope="col">${L('status')}</th><th scope="col">${L('totp')}</th><th scope="col">${L('created')}</th></tr></thead>
  <tbody>
  ${v.users.map((u) => html`<tr>
    <td><a href="/admin/users/${u.name}">${u.name}</a>${u.name === self ? html` <span class="muted">${L('you')}</span>` : ''}</td>
    <td>${u.roles.join(', ')}</td>
    <td>${u.disabled ? L('disabled') : L('enabled')}</td>
    <td>${u.totp ? L('totpOn') : L('totpOff')}</td>
    <td><time datetime="${u.createdAt}">${fmtTime(u.createdAt, ctx.lang)}</time> <span class="muted">${L('createdBy')} ${u.createdBy}</span></td>
  </tr>`)}
  </tbody></table></div>` : html`<p>${L('none')}</p>`}

<h2 id="add">${L('addTitle')}</h2>
<form method="post" action="/admin/users" class="stack narrow" aria-labelledby="add">
  ${csrfField(ctx.csrf)}
  ${message(v.message)}
  <div><label for="new-name">${L('name')}</label>
    <input id="new-name" name="name" required autocomplete="off" maxlength="64" pattern="[a-z0-9][a-z0-9._\\-]*" aria-describedby="new-name-hint" value="${v.draft?.name ?? ''}">
    <small id="new-name-hint" class="muted">${L('nameHint')}</small></div>
  ${roleBoxes(ctx, 'new-role', v.draft?.roles ?? [], v.roleChoices)}
  ${reasonField('new-reason', v.draft?.reason ?? '', L)}
  <p class="muted">${L('addNote')}</p>
  <button type="submit" class="primary">${L('add')}</button>
</form>`);
}

export function userPage(ctx: PageCtx, v: {
  user: UserView;
  /** the roles the roles form offers */
  roleChoices: readonly RoleChoice[];
  tokens: TokenSummary[];
  message?: string;
  done?: DoneCode;
  /** a set-password link just made: shown this once */
  newLink?: { url: string; expiresAt: number };
  /** role grants waiting for a second person */
  pendingGrants?: { id: string; roles: string[]; requestedBy: string }[];
  /** roles the roles form held when it was refused */
  draftRoles?: string[];
}): Html {
  const lang = ctx.lang;
  const L = (k: Key, vars?: Record<string, string>) => usersLabel(lang, k, vars);
  const u = v.user;
  const base = `/admin/users/${u.name}`;
  const self = ctx.principal?.name === u.name;
  const f = (action: string, body: Html | string, cls = 'inline') => html`<form method="post" action="${base}/${action}" class="${cls}">${csrfField(ctx.csrf)}${body}</form>`;
  return layout(ctx, L('userTitle', { name: u.name }), html`
<p><a href="/admin/users">${L('back')}</a></p>
${notice(ctx, v.done)}
${message(v.message)}
${v.newLink ? html`<section class="note" aria-labelledby="new-link">
  <h2 id="new-link">${L('linkTitle')}</h2>
  <p><strong>${L('linkNote', { name: u.name, until: fmtTime(iso(v.newLink.expiresAt), lang) })}</strong></p>
  <p><label for="new-link-value">${u.name}</label>
  <input id="new-link-value" readonly size="100" value="${v.newLink.url}"></p>
</section>` : ''}
<dl class="meta">
  <dt>${L('roles')}</dt><dd>${u.roles.join(', ')}</dd>
  <dt>${L('status')}</dt><dd>${u.disabled ? L('disabled') : L('enabled')}</dd>
  <dt>${L('totp')}</dt><dd>${u.totp ? L('totpOn') : L('totpOff')}</dd>
  <dt>${L('created')}</dt><dd><time datetime="${u.createdAt}">${fmtTime(u.createdAt, lang)}</time> ${L('createdBy')} ${u.createdBy}</dd>
</dl>

<h2 id="roles">${L('rolesTitle')}</h2>
${v.pendingGrants?.length ? html`<p class="note" id="pending-grants">${L('pendingGrantsTitle')}: ${v.pendingGrants.map((g) => L('pendingGrant', { roles: g.roles.join(', '), by: g.requestedBy, id: g.id })).join('; ')}</p>` : ''}
${f('roles', html`${roleBoxes(ctx, 'role', v.draftRoles ?? u.roles, v.roleChoices)}${reasonField('roles-reason', '', (k) => L(k))}<button type="submit">${L('saveRoles')}</button>`, 'stack narrow')}

<h2 id="access">${L('accessTitle')}</h2>
<p class="muted">${L('disableNote')}</p>
<p>${u.disabled ? f('enable', html`<button type="submit">${L('enable')}</button>`)
    : self ? '' : f('disable', html`<button type="submit" class="danger">${L('disable')}</button>`)}
  ${f('sessions', html`<button type="submit">${L('endSessions')}</button>`)}</p>
<p class="muted">${L('endSessionsNote')}</p>

<h2 id="password">${L('resetTitle')}</h2>
${self ? html`<p class="muted">${L('selfReset')}</p>` : html`<p class="muted" id="reset-hint">${L('resetNote')}</p>
${f('password', html`<button type="submit" class="danger" aria-describedby="reset-hint">${L('reset')}</button>`)}`}

<h2 id="totp">${L('totpTitle')}</h2>
${u.totp ? html`<p class="muted">${L('totpRemoveNote', { name: u.name })}</p>
  ${f('totp-remove', html`<button type="submit" class="danger">${L('totpRemove')}</button>`)}`
    : html`<p class="muted">${L('totpNone', { name: u.name })}</p>`}

<h2 id="tokens">${L('tokensTitle')}</h2>
<p class="muted">${L('tokensNote')}</p>
${v.tokens.length ? html`<div class="table-wrap"><table>
  <thead><tr><th scope="col">${L('tokenId')}</th><th scope="col">${L('tokenLabel')}</th><th scope="col">${L('tokenCreated')}</th><th scope="col">${L('tokenLastUsed')}</th><th scope="col">${L('tokenState')}</th><th scope="col"><span class="muted">${L('revoke')}</span></th></tr></thead>
  <tbody>
  ${v.tokens.map((t) => html`<tr>
    <td><code>${t.id}</code></td>
    <td>${t.label}</td>
    <td><time datetime="${iso(t.createdAt)}">${fmtTime(iso(t.createdAt), lang)}</time> <span class="muted">${L('createdBy')} ${t.createdBy}</span></td>
    <td>${t.lastUsedAt ? html`<time datetime="${iso(t.lastUsedAt)}">${fmtTime(iso(t.lastUsedAt), lang)}</time>` : L('tokenNever')}</td>
    <td>${t.revokedAt ? L('tokenRevoked', { at: fmtTime(iso(t.revokedAt), lang) }) : L('tokenLive')}</td>
    <td>${t.revokedAt ? '' : f(`tokens/${t.id}/revoke`, html`<button type="submit" class="danger" aria-label="${L('revoke')} ${t.id}">${L('revoke')}</button>`)}</td>
  </tr>`)}
  </tbody></table></div>` : html`<p>${L('tokenNone')}</p>`}
`);
}
