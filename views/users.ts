import { html, raw } from 'hono/html';
import type { UserSummary } from '../src/auth/index.ts';
import { ROLES } from '../src/auth/roles.ts';
import { fill, type Lang } from '../src/web/i18n.ts';
import { csrfField, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

/** User administration (/admin/users): list, add, and one page per user. */

const en = {
  title: 'Users',
  userTitle: 'User {name}',
  name: 'User name',
  roles: 'Roles',
  status: 'Status',
  enabled: 'enabled',
  disabled: 'disabled',
  totp: 'Second factor (TOTP)',
  totpOn: 'on',
  totpOff: 'off',
  created: 'Created',
  createdBy: 'by',
  none: 'No users yet.',
  addTitle: 'Add a user',
  password: 'Initial password',
  passwordHint: 'At least 12 characters. Tell it to the person by a separate channel; they change it under Account.',
  add: 'Add user',
  nameHint: 'Lower-case letters, digits, ".", "_" or "-".',
  'role.admin': 'Administrator: users, settings, quarantine (no audio)',
  'role.supervisor': 'Supervisor: search, listen, download',
  'role.dpo': 'Data protection officer: privacy workflows, access log, approvals',
  'role.auditor': 'Auditor: access log, verification, export (no audio, no personal data)',
  rolesTitle: 'Roles',
  saveRoles: 'Save roles',
  accessTitle: 'Access',
  disable: 'Disable account',
  enable: 'Enable account',
  disableNote: 'A disabled user cannot sign in; open sessions and API tokens stop working at once.',
  endSessions: 'End all sessions',
  endSessionsNote: 'Signs the user out in every browser.',
  resetTitle: 'Set a new password',
  newPassword: 'New password',
  reset: 'Set password',
  resetNote: 'Ends all of the user\'s sessions.',
  totpTitle: 'Second factor',
  totpRemove: 'Remove TOTP',
  totpRemoveNote: 'For a lost phone. If the role requires a second factor, the user can sign in again only after a new enrolment (tresor user totp --name {name}).',
  totpNone: 'No TOTP enrolled. Users enrol under Account; an administrator can enrol with: tresor user totp --name {name}',
  tokensTitle: 'API tokens',
  tokensNote: 'A token acts as this user, with this user\'s roles at the time of use.',
  tokenId: 'ID',
  tokenLabel: 'Label',
  tokenCreated: 'Created',
  tokenLastUsed: 'Last used',
  tokenState: 'State',
  tokenLive: 'active',
  tokenRevoked: 'revoked {at}',
  tokenNever: 'never',
  tokenNone: 'No API tokens.',
  revoke: 'Revoke',
  createToken: 'Create token',
  newTokenTitle: 'New API token',
  newTokenNote: 'Copy this token now. It is shown only this once; Tresor keeps only a hash of it and cannot show it again.',
  back: 'All users',
  you: '(you)',
  'done.created': 'User created.',
  'done.roles': 'Roles saved. The user\'s sessions were ended.',
  'done.disabled': 'Account disabled. Its sessions were ended.',
  'done.enabled': 'Account enabled.',
  'done.password': 'Password set. The user\'s sessions were ended.',
  'done.sessions': 'All sessions of this user were ended.',
  'done.totp': 'TOTP removed.',
  'done.revoked': 'Token revoked.',
  notSession: 'User administration needs a console session; API tokens cannot manage users.',
  selfDisable: 'You cannot disable your own account; ask another administrator.',
} as const;

type Key = keyof typeof en;

const de: Record<Key, string> = {
  title: 'Benutzer',
  userTitle: 'Benutzer {name}',
  name: 'Benutzername',
  roles: 'Rollen',
  status: 'Status',
  enabled: 'aktiv',
  disabled: 'gesperrt',
  totp: 'Zweiter Faktor (TOTP)',
  totpOn: 'an',
  totpOff: 'aus',
  created: 'Angelegt',
  createdBy: 'von',
  none: 'Noch keine Benutzer.',
  addTitle: 'Benutzer anlegen',
  password: 'Erstes Passwort',
  passwordHint: 'Mindestens 12 Zeichen. Auf getrenntem Weg mitteilen; die Person ändert es unter Konto.',
  add: 'Benutzer anlegen',
  nameHint: 'Kleinbuchstaben, Ziffern, ".", "_" oder "-".',
  'role.admin': 'Administrator: Benutzer, Einstellungen, Quarantäne (kein Audio)',
  'role.supervisor': 'Supervisor: suchen, anhören, herunterladen',
  'role.dpo': 'Datenschutzbeauftragte(r): Datenschutz-Vorgänge, Zugriffsprotokoll, Freigaben',
  'role.auditor': 'Prüfer: Zugriffsprotokoll, Prüfung, Export (kein Audio, keine personenbezogenen Daten)',
  rolesTitle: 'Rollen',
  saveRoles: 'Rollen speichern',
  accessTitle: 'Zugang',
  disable: 'Konto sperren',
  enable: 'Konto entsperren',
  disableNote: 'Ein gesperrter Benutzer kann sich nicht anmelden; offene Sitzungen und API-Tokens hören sofort auf zu funktionieren.',
  endSessions: 'Alle Sitzungen beenden',
  endSessionsNote: 'Meldet den Benutzer in allen Browsern ab.',
  resetTitle: 'Neues Passwort setzen',
  newPassword: 'Neues Passwort',
  reset: 'Passwort setzen',
  resetNote: 'Beendet alle Sitzungen des Benutzers.',
  totpTitle: 'Zweiter Faktor',
  totpRemove: 'TOTP entfernen',
  totpRemoveNote: 'Für ein verlorenes Telefon. Verlangt die Rolle einen zweiten Faktor, kann sich der Benutzer erst nach neuer Einrichtung wieder anmelden (tresor user totp --name {name}).',
  totpNone: 'Kein TOTP eingerichtet. Benutzer richten es unter Konto ein; ein Administrator mit: tresor user totp --name {name}',
  tokensTitle: 'API-Tokens',
  tokensNote: 'Ein Token handelt als dieser Benutzer, mit dessen Rollen zum Zeitpunkt der Nutzung.',
  tokenId: 'ID',
  tokenLabel: 'Bezeichnung',
  tokenCreated: 'Angelegt',
  tokenLastUsed: 'Zuletzt benutzt',
  tokenState: 'Zustand',
  tokenLive: 'aktiv',
  tokenRevoked: 'widerrufen {at}',
  tokenNever: 'nie',
  tokenNone: 'Keine API-Tokens.',
  revoke: 'Widerrufen',
  createToken: 'Token anlegen',
  newTokenTitle: 'Neues API-Token',
  newTokenNote: 'Kopieren Sie dieses Token jetzt. Es wird nur dieses eine Mal angezeigt; Tresor speichert nur einen Hash und kann es nicht erneut anzeigen.',
  back: 'Alle Benutzer',
  you: '(Sie)',
  'done.created': 'Benutzer angelegt.',
  'done.roles': 'Rollen gespeichert. Die Sitzungen des Benutzers wurden beendet.',
  'done.disabled': 'Konto gesperrt. Seine Sitzungen wurden beendet.',
  'done.enabled': 'Konto entsperrt.',
  'done.password': 'Passwort gesetzt. Die Sitzungen des Benutzers wurden beendet.',
  'done.sessions': 'Alle Sitzungen dieses Benutzers wurden beendet.',
  'done.totp': 'TOTP entfernt.',
  'done.revoked': 'Token widerrufen.',
  notSession: 'Die Benutzerverwaltung braucht eine Konsolen-Sitzung; API-Tokens können keine Benutzer verwalten.',
  selfDisable: 'Sie können Ihr eigenes Konto nicht sperren; bitten Sie einen anderen Administrator.',
};

const TABLES: Record<Lang, Record<Key, string>> = { en, de };

export type UsersLabel = Key;

export function usersLabel(lang: Lang, key: Key, vars: Record<string, string> = {}): string {
  return fill(TABLES[lang][key], vars);
}

/** Notices after a redirect come as a code (`?done=roles`), never as free text from the URL. */
export const DONE_CODES = ['created', 'roles', 'disabled', 'enabled', 'password', 'sessions', 'totp', 'revoked'] as const;
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

function roleBoxes(ctx: PageCtx, idPrefix: string, checked: readonly string[]): Html {
  const L = (k: Key) => usersLabel(ctx.lang, k);
  return html`<fieldset><legend>${L('roles')}</legend>
    ${ROLES.map((r) => html`<div><input type="checkbox" id="${idPrefix}-${r}" name="role" value="${r}"${checked.includes(r) ? raw(' checked') : ''}>
      <label for="${idPrefix}-${r}">${L(`role.${r}` as Key)}</label></div>`)}
  </fieldset>`;
}

export function usersPage(ctx: PageCtx, v: {
  users: UserSummary[];
  message?: string;
  done?: DoneCode;
  /** what the add form held when it was refused */
  draft?: { name: string; roles: string[] };
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
  ${roleBoxes(ctx, 'new-role', v.draft?.roles ?? [])}
  <div><label for="new-password">${L('password')}</label>
    <input id="new-password" name="password" type="password" autocomplete="new-password" minlength="12" required aria-describedby="new-password-hint">
    <small id="new-password-hint" class="muted">${L('passwordHint')}</small></div>
  <button type="submit" class="primary">${L('add')}</button>
</form>`);
}

export function userPage(ctx: PageCtx, v: {
  user: UserSummary;
  tokens: TokenSummary[];
  message?: string;
  done?: DoneCode;
  /** a token just created: shown this once */
  newToken?: { id: string; token: string; label: string };
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
${v.newToken ? html`<section class="note" aria-labelledby="new-token">
  <h2 id="new-token">${L('newTokenTitle')}</h2>
  <p><strong>${L('newTokenNote')}</strong></p>
  <p><label for="new-token-value">${v.newToken.label || v.newToken.id}</label>
  <input id="new-token-value" readonly size="80" value="${v.newToken.token}"></p>
</section>` : ''}
<dl class="meta">
  <dt>${L('roles')}</dt><dd>${u.roles.join(', ')}</dd>
  <dt>${L('status')}</dt><dd>${u.disabled ? L('disabled') : L('enabled')}</dd>
  <dt>${L('totp')}</dt><dd>${u.totp ? L('totpOn') : L('totpOff')}</dd>
  <dt>${L('created')}</dt><dd><time datetime="${u.createdAt}">${fmtTime(u.createdAt, lang)}</time> ${L('createdBy')} ${u.createdBy}</dd>
</dl>

<h2 id="roles">${L('rolesTitle')}</h2>
${f('roles', html`${roleBoxes(ctx, 'role', v.draftRoles ?? u.roles)}<button type="submit">${L('saveRoles')}</button>`, 'stack narrow')}

<h2 id="access">${L('accessTitle')}</h2>
<p class="muted">${L('disableNote')}</p>
<p>${u.disabled ? f('enable', html`<button type="submit">${L('enable')}</button>`)
    : self ? '' : f('disable', html`<button type="submit" class="danger">${L('disable')}</button>`)}
  ${f('sessions', html`<button type="submit">${L('endSessions')}</button>`)}</p>
<p class="muted">${L('endSessionsNote')}</p>

<h2 id="password">${L('resetTitle')}</h2>
${f('password', html`<div><label for="reset-password">${L('newPassword')}</label>
  <input id="reset-password" name="password" type="password" autocomplete="new-password" minlength="12" required aria-describedby="reset-hint">
  <small id="reset-hint" class="muted">${L('resetNote')}</small></div>
  <button type="submit">${L('reset')}</button>`, 'stack narrow')}

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
${f('tokens', html`<div><label for="token-label">${L('tokenLabel')}</label>
  <input id="token-label" name="label" maxlength="100" autocomplete="off"></div>
  <button type="submit">${L('createToken')}</button>`, 'stack narrow')}
`);
}
