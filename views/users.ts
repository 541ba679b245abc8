import { html, raw } from 'hono/html';
import type { UserSummary } from '../src/auth/index.ts';
import { ROLES } from '../src/auth/roles.ts';
import { PERSONAL_DATA_ROLES } from '../src/auth/role-grants.ts';
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
  add: 'Add user',
  fourEyesRole: 'granted once a second person agrees',
  addNote: 'The new user gets a one-time link to choose their own password: you never learn it.',
  reason: 'Reason (for the second person)',
  reasonHint: 'Needed for roles that see personal data or audio (supervisor, DPO): a second person with approval rights decides on Approvals, not the one who gets the role.',
  grantReasonNeeded: 'Granting supervisor or DPO needs a second person: give a reason for them to decide on.',
  grantWaiting: 'A request to grant roles to this user is waiting already ({id}); it has to be decided first.',
  pendingGrantsTitle: 'Waiting for a second person',
  pendingGrant: '{roles}, asked by {by} (request {id})',
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
  resetTitle: 'Reset the password',
  reset: 'Reset password',
  resetNote: 'The old password stops working and every session ends; you get a one-time link with which the user chooses a new one. You never learn it. Roles that see personal data (supervisor, DPO) come back once a second person approves.',
  selfReset: 'Change your own password under Account.',
  linkTitle: 'Set-password link',
  linkNote: 'Give this link to {name} by a way you trust (in person, by phone). It works once, until {until}. It is shown only this once.',
  totpTitle: 'Second factor',
  totpRemove: 'Remove TOTP',
  totpRemoveNote: 'For a lost phone. If the role requires a second factor, the user can sign in again only after a new enrolment (tresor user totp --name {name}).',
  totpNone: 'No TOTP enrolled. Users enrol under Account; an administrator can enrol with: tresor user totp --name {name}',
  tokensTitle: 'API tokens',
  tokensNote: 'A token acts as this user, with this user\'s roles at the time of use, on the API only. Tokens are made by their owner (Account) or on the box (tresor token create); here they can be revoked.',
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
  back: 'All users',
  you: '(you)',
  'done.created': 'User created. Give them the set-password link below.',
  'done.created-grant': 'User created; the roles that see personal data wait for a second person (Approvals). Give them the set-password link below.',
  'done.grant-requested': 'Saved; the roles that see personal data wait for a second person (Approvals).',
  'done.roles': 'Roles saved. The user\'s sessions were ended.',
  'done.disabled': 'Account disabled. Its sessions were ended.',
  'done.enabled': 'Account enabled.',
  'done.password': 'Password reset: the old one no longer works and the sessions were ended. Give the user the link below.',
  'done.password-suspended': 'Password reset: the old one no longer works and the sessions were ended. The roles that see personal data wait for a second person, who confirms with the user that they chose their own password. Give the user the link below.',
  newAccountGrantNote: 'new account: confirm with {name} that they set their own password before approving.',
  resetGrantReason: 'Password of {name} reset by {by}: confirm with {name} (in person or by phone) that they chose their new password themselves, then approve.',
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
  add: 'Benutzer anlegen',
  fourEyesRole: 'vergeben, sobald eine zweite Person zustimmt',
  addNote: 'Der neue Benutzer erhält einen einmaligen Link, mit dem er sein eigenes Passwort wählt: Sie erfahren es nie.',
  reason: 'Begründung (für die zweite Person)',
  reasonHint: 'Nötig für Rollen, die personenbezogene Daten oder Audio sehen (Supervisor, DSB): eine zweite Person mit Freigaberecht entscheidet unter Freigaben, nicht die Person, die die Rolle erhält.',
  grantReasonNeeded: 'Supervisor oder DSB zu vergeben braucht eine zweite Person: geben Sie eine Begründung an, über die sie entscheidet.',
  grantWaiting: 'Eine Anfrage, diesem Benutzer Rollen zu geben, wartet bereits ({id}); sie muss zuerst entschieden werden.',
  pendingGrantsTitle: 'Wartet auf eine zweite Person',
  pendingGrant: '{roles}, beantragt von {by} (Anfrage {id})',
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
  resetTitle: 'Passwort zurücksetzen',
  reset: 'Passwort zurücksetzen',
  resetNote: 'Das alte Passwort gilt nicht mehr und alle Sitzungen enden; Sie erhalten einen einmaligen Link, mit dem der Benutzer ein neues wählt. Sie erfahren es nie. Rollen mit personenbezogenen Daten (Supervisor, DSB) kommen zurück, sobald eine zweite Person zustimmt.',
  selfReset: 'Ihr eigenes Passwort ändern Sie unter Konto.',
  linkTitle: 'Link zum Passwort-Setzen',
  linkNote: 'Geben Sie diesen Link auf einem vertrauenswürdigen Weg an {name} weiter (persönlich, telefonisch). Er funktioniert einmal, bis {until}. Er wird nur dieses eine Mal angezeigt.',
  totpTitle: 'Zweiter Faktor',
  totpRemove: 'TOTP entfernen',
  totpRemoveNote: 'Für ein verlorenes Telefon. Verlangt die Rolle einen zweiten Faktor, kann sich der Benutzer erst nach neuer Einrichtung wieder anmelden (tresor user totp --name {name}).',
  totpNone: 'Kein TOTP eingerichtet. Benutzer richten es unter Konto ein; ein Administrator mit: tresor user totp --name {name}',
  tokensTitle: 'API-Tokens',
  tokensNote: 'Ein Token handelt als dieser Benutzer, mit dessen Rollen zum Zeitpunkt der Nutzung, nur an der API. Tokens legt ihr Inhaber an (Konto) oder der Betreiber auf dem Gerät (tresor token create); hier können sie widerrufen werden.',
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
  back: 'Alle Benutzer',
  you: '(Sie)',
  'done.created': 'Benutzer angelegt. Geben Sie ihm den Link unten weiter.',
  'done.created-grant': 'Benutzer angelegt; die Rollen mit personenbezogenen Daten warten auf eine zweite Person (Freigaben). Geben Sie ihm den Link unten weiter.',
  'done.grant-requested': 'Gespeichert; die Rollen mit personenbezogenen Daten warten auf eine zweite Person (Freigaben).',
  'done.roles': 'Rollen gespeichert. Die Sitzungen des Benutzers wurden beendet.',
  'done.disabled': 'Konto gesperrt. Seine Sitzungen wurden beendet.',
  'done.enabled': 'Konto entsperrt.',
  'done.password': 'Passwort zurückgesetzt: das alte gilt nicht mehr, die Sitzungen wurden beendet. Geben Sie dem Benutzer den Link unten weiter.',
  'done.password-suspended': 'Passwort zurückgesetzt: das alte gilt nicht mehr, die Sitzungen wurden beendet. Die Rollen mit personenbezogenen Daten warten auf eine zweite Person, die mit dem Benutzer klärt, dass er sein Passwort selbst gewählt hat. Geben Sie dem Benutzer den Link unten weiter.',
  newAccountGrantNote: 'neues Konto: vor der Freigabe mit {name} klären, dass das Passwort selbst gesetzt wurde.',
  resetGrantReason: 'Passwort von {name} zurückgesetzt durch {by}: klären Sie mit {name} (persönlich oder telefonisch), dass das neue Passwort selbst gewählt wurde, dann freigeben.',
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

function roleBoxes(ctx: PageCtx, idPrefix: string, checked: readonly string[]): Html {
  const L = (k: Key) => usersLabel(ctx.lang, k);
  return html`<fieldset><legend>${L('roles')}</legend>
    ${ROLES.map((r) => html`<div><input type="checkbox" id="${idPrefix}-${r}" name="role" value="${r}"${checked.includes(r) ? raw(' checked') : ''}>
      <label for="${idPrefix}-${r}">${L(`role.${r}` as Key)}${PERSONAL_DATA_ROLES.includes(r) ? html` <span class="muted">(${L('fourEyesRole')})</span>` : ''}</label></div>`)}
  </fieldset>`;
}

function reasonField(id: string, value: string, L: (k: Key) => string): Html {
  return html`<div><label for="${id}">${L('reason')}</label>
    <textarea id="${id}" name="reason" rows="2" maxlength="2000" aria-describedby="${id}-hint">${value}</textarea>
    <small id="${id}-hint" class="muted">${L('reasonHint')}</small></div>`;
}

export function usersPage(ctx: PageCtx, v: {
  users: UserSummary[];
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
  ${roleBoxes(ctx, 'new-role', v.draft?.roles ?? [])}
  ${reasonField('new-reason', v.draft?.reason ?? '', L)}
  <p class="muted">${L('addNote')}</p>
  <button type="submit" class="primary">${L('add')}</button>
</form>`);
}

export function userPage(ctx: PageCtx, v: {
  user: UserSummary;
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
${f('roles', html`${roleBoxes(ctx, 'role', v.draftRoles ?? u.roles)}${reasonField('roles-reason', '', (k) => L(k))}<button type="submit">${L('saveRoles')}</button>`, 'stack narrow')}

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
