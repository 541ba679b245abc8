import { html } from 'hono/html';
import type { UserSummary } from '../src/auth/index.ts';
import { fill, type Lang } from '../src/web/i18n.ts';
import { csrfField, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

/** The signed-in user's own account (/account): password, second factor, sessions. */

const en = {
  title: 'Your account',
  name: 'User name',
  roles: 'Roles',
  created: 'Created',
  passwordTitle: 'Change password',
  current: 'Current password',
  newPassword: 'New password',
  confirm: 'New password again',
  passwordHint: 'At least 12 characters. Your other sessions end; this one stays signed in.',
  change: 'Change password',
  totpTitle: 'Second factor (TOTP)',
  totpOn: 'A second factor is set up: signing in asks for a code from your authenticator app.',
  totpOff: 'No second factor is set up.',
  totpRequired: 'Your role requires a second factor.',
  totpStart: 'Set up an authenticator app',
  totpRemove: 'Remove second factor',
  totpRemoveNote: 'Needs your current password.',
  totpRequiredKeep: 'Your role requires a second factor, so it cannot be removed here. If your phone is lost, an administrator can reset it.',
  sessionsTitle: 'Sessions',
  sessionsNote: 'Signs you out in every browser, including this one.',
  everywhere: 'Sign out everywhere',
  enrolTitle: 'Set up an authenticator app',
  enrolStep1: 'Add an account in your authenticator app (for example FreeOTP, Aegis, Google or Microsoft Authenticator): open the link on your phone, or enter the secret key by hand (time-based, 6 digits, 30 seconds).',
  secret: 'Secret key',
  uri: 'Setup link',
  enrolStep2: 'Then enter the code the app shows, to confirm it works. Until then nothing changes.',
  code: '6-digit code',
  confirmTotp: 'Confirm and turn on',
  cancel: 'Cancel',
  'done.password': 'Password changed. Your other sessions were ended.',
  'done.totp': 'Second factor turned on. From now on, signing in asks for a code.',
  'done.totpRemoved': 'Second factor removed.',
  'err.current': 'The current password is wrong.',
  'err.mismatch': 'The two new passwords differ.',
  'err.throttled': 'Too many wrong passwords. Try again in {s} seconds.',
  'err.code': 'That code does not match. Check the time on your phone and enter the current code.',
  'err.expired': 'The set-up took too long or was started elsewhere; start again.',
  'err.totpOn': 'A second factor is set up already; remove it first to set up a new one.',
  'err.required': 'Your role requires a second factor; it cannot be removed.',
  'err.session': 'Account settings need a console session (not an API token).',
  tokensTitle: 'API tokens',
  tokensNote: 'For integrations: a token acts as you, with your roles at the time of use, on the API (/api/) only — never on the console. Only you (or the operator on the box) can make one; an administrator can revoke it.',
  tokenLabel: 'Label',
  tokenId: 'ID',
  tokenCreated: 'Created',
  tokenLastUsed: 'Last used',
  tokenNever: 'never',
  tokenState: 'State',
  tokenLive: 'active',
  tokenRevoked: 'revoked',
  tokenNone: 'You have no API tokens.',
  tokenCreate: 'Create token',
  tokenCreateNote: 'Needs your current password.',
  revoke: 'Revoke',
  newTokenTitle: 'Your new API token',
  newTokenNote: 'Copy this token now. It is shown only this once; Tresor keeps only a hash of it.',
  'done.revoked': 'Token revoked.',
} as const;

type Key = keyof typeof en;

const de: Record<Key, string> = {
  title: 'Ihr Konto',
  name: 'Benutzername',
  roles: 'Rollen',
  created: 'Angelegt',
  passwordTitle: 'Passwort ändern',
  current: 'Aktuelles Passwort',
  newPassword: 'Neues Passwort',
  confirm: 'Neues Passwort wiederholen',
  passwordHint: 'Mindestens 12 Zeichen. Ihre anderen Sitzungen enden; diese bleibt angemeldet.',
  change: 'Passwort ändern',
  totpTitle: 'Zweiter Faktor (TOTP)',
  totpOn: 'Ein zweiter Faktor ist eingerichtet: Bei der Anmeldung wird ein Code aus Ihrer Authenticator-App abgefragt.',
  totpOff: 'Kein zweiter Faktor eingerichtet.',
  totpRequired: 'Ihre Rolle verlangt einen zweiten Faktor.',
  totpStart: 'Authenticator-App einrichten',
  totpRemove: 'Zweiten Faktor entfernen',
  totpRemoveNote: 'Erfordert Ihr aktuelles Passwort.',
  totpRequiredKeep: 'Ihre Rolle verlangt einen zweiten Faktor, daher kann er hier nicht entfernt werden. Bei verlorenem Telefon kann ein Administrator ihn zurücksetzen.',
  sessionsTitle: 'Sitzungen',
  sessionsNote: 'Meldet Sie in allen Browsern ab, auch in diesem.',
  everywhere: 'Überall abmelden',
  enrolTitle: 'Authenticator-App einrichten',
  enrolStep1: 'Legen Sie in Ihrer Authenticator-App ein Konto an (z. B. FreeOTP, Aegis, Google oder Microsoft Authenticator): Öffnen Sie den Link auf dem Telefon oder geben Sie den geheimen Schlüssel von Hand ein (zeitbasiert, 6 Ziffern, 30 Sekunden).',
  secret: 'Geheimer Schlüssel',
  uri: 'Einrichtungslink',
  enrolStep2: 'Geben Sie dann den Code aus der App ein, um zu bestätigen, dass es funktioniert. Bis dahin ändert sich nichts.',
  code: '6-stelliger Code',
  confirmTotp: 'Bestätigen und einschalten',
  cancel: 'Abbrechen',
  'done.password': 'Passwort geändert. Ihre anderen Sitzungen wurden beendet.',
  'done.totp': 'Zweiter Faktor eingeschaltet. Ab jetzt wird bei der Anmeldung ein Code abgefragt.',
  'done.totpRemoved': 'Zweiter Faktor entfernt.',
  'err.current': 'Das aktuelle Passwort ist falsch.',
  'err.mismatch': 'Die beiden neuen Passwörter stimmen nicht überein.',
  'err.throttled': 'Zu viele falsche Passwörter. Bitte in {s} Sekunden erneut versuchen.',
  'err.code': 'Der Code passt nicht. Prüfen Sie die Uhrzeit des Telefons und geben Sie den aktuellen Code ein.',
  'err.expired': 'Die Einrichtung hat zu lange gedauert oder wurde anderswo begonnen; bitte neu beginnen.',
  'err.totpOn': 'Ein zweiter Faktor ist bereits eingerichtet; entfernen Sie ihn zuerst, um einen neuen einzurichten.',
  'err.required': 'Ihre Rolle verlangt einen zweiten Faktor; er kann nicht entfernt werden.',
  'err.session': 'Kontoeinstellungen brauchen eine Konsolen-Sitzung (kein API-Token).',
  tokensTitle: 'API-Tokens',
  tokensNote: 'Für Anbindungen: ein Token handelt als Sie, mit Ihren Rollen zum Zeitpunkt der Nutzung, nur an der API (/api/) — nie in der Konsole. Nur Sie (oder der Betreiber auf dem Gerät) können eines anlegen; ein Administrator kann es widerrufen.',
  tokenLabel: 'Bezeichnung',
  tokenId: 'ID',
  tokenCreated: 'Angelegt',
  tokenLastUsed: 'Zuletzt benutzt',
  tokenNever: 'nie',
  tokenState: 'Zustand',
  tokenLive: 'aktiv',
  tokenRevoked: 'widerrufen',
  tokenNone: 'Sie haben keine API-Tokens.',
  tokenCreate: 'Token anlegen',
  tokenCreateNote: 'Erfordert Ihr aktuelles Passwort.',
  revoke: 'Widerrufen',
  newTokenTitle: 'Ihr neues API-Token',
  newTokenNote: 'Kopieren Sie dieses Token jetzt. Es wird nur dieses eine Mal angezeigt; Tresor speichert nur einen Hash davon.',
  'done.revoked': 'Token widerrufen.',
};

const TABLES: Record<Lang, Record<Key, string>> = { en, de };

export type AccountLabel = Key;

export function accountLabel(lang: Lang, key: Key, vars: Record<string, string | number> = {}): string {
  return fill(TABLES[lang][key], vars);
}

export const ACCOUNT_DONE = ['password', 'totp', 'totpRemoved', 'revoked'] as const;
export type AccountDone = (typeof ACCOUNT_DONE)[number];
export const isAccountDone = (s: string | undefined): s is AccountDone => !!s && (ACCOUNT_DONE as readonly string[]).includes(s);

/** Which form a message belongs to, so it shows next to that form. */
export type AccountForm = 'password' | 'totp' | 'tokens';

export interface OwnToken {
  id: string;
  label: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export function accountPage(ctx: PageCtx, v: {
  user: UserSummary;
  /** the box requires TOTP for this user's roles */
  totpRequired: boolean;
  done?: AccountDone;
  message?: { form: AccountForm; text: string };
  tokens: OwnToken[];
  /** a token just created: shown on this response only */
  newToken?: { id: string; token: string; label: string };
}): Html {
  const L = (k: Key) => accountLabel(ctx.lang, k);
  const iso = (ms: number) => new Date(ms).toISOString();
  const when = (ms: number) => html`<time datetime="${iso(ms)}">${fmtTime(iso(ms), ctx.lang)}</time>`;
  const u = v.user;
  const msg = (form: AccountForm) => (v.message?.form === form ? html`<p class="error" role="alert">${v.message.text}</p>` : '');
  return layout(ctx, L('title'), html`
${v.done ? html`<p class="ok" role="status">${L(`done.${v.done}`)}</p>` : ''}
<dl class="meta">
  <dt>${L('name')}</dt><dd>${u.name}</dd>
  <dt>${L('roles')}</dt><dd>${u.roles.join(', ')}</dd>
  <dt>${L('created')}</dt><dd><time datetime="${u.createdAt}">${fmtTime(u.createdAt, ctx.lang)}</time></dd>
</dl>

<h2 id="password">${L('passwordTitle')}</h2>
<form method="post" action="/account/password" class="stack narrow" aria-labelledby="password">
  ${csrfField(ctx.csrf)}
  ${msg('password')}
  <input type="text" name="username" value="${u.name}" autocomplete="username" hidden>
  <div><label for="current-password">${L('current')}</label>
    <input id="current-password" name="current" type="password" autocomplete="current-password" required></div>
  <div><label for="new-password">${L('newPassword')}</label>
    <input id="new-password" name="password" type="password" autocomplete="new-password" minlength="12" required aria-describedby="new-password-hint">
    <small id="new-password-hint" class="muted">${L('passwordHint')}</small></div>
  <div><label for="confirm-password">${L('confirm')}</label>
    <input id="confirm-password" name="password2" type="password" autocomplete="new-password" minlength="12" required></div>
  <button type="submit" class="primary">${L('change')}</button>
</form>

<h2 id="totp">${L('totpTitle')}</h2>
${msg('totp')}
<p>${u.totp ? L('totpOn') : L('totpOff')} ${v.totpRequired ? L('totpRequired') : ''}</p>
${u.totp
    ? v.totpRequired
      ? html`<p class="muted">${L('totpRequiredKeep')}</p>`
      : html`<form method="post" action="/account/totp/remove" class="stack narrow">
  ${csrfField(ctx.csrf)}
  <div><label for="totp-remove-password">${L('current')}</label>
    <input id="totp-remove-password" name="current" type="password" autocomplete="current-password" required aria-describedby="totp-remove-hint">
    <small id="totp-remove-hint" class="muted">${L('totpRemoveNote')}</small></div>
  <button type="submit" class="danger">${L('totpRemove')}</button>
</form>`
    : html`<form method="post" action="/account/totp/start" class="inline">${csrfField(ctx.csrf)}<button type="submit">${L('totpStart')}</button></form>`}

<h2 id="tokens">${L('tokensTitle')}</h2>
<p class="muted">${L('tokensNote')}</p>
${msg('tokens')}
${v.newToken ? html`<section class="note" aria-labelledby="new-token">
  <h3 id="new-token">${L('newTokenTitle')}</h3>
  <p><strong>${L('newTokenNote')}</strong></p>
  <p><label for="new-token-value">${v.newToken.label || v.newToken.id}</label>
  <input id="new-token-value" readonly size="80" value="${v.newToken.token}"></p>
</section>` : ''}
${v.tokens.length ? html`<div class="table-wrap"><table id="own-tokens">
  <thead><tr><th scope="col">${L('tokenId')}</th><th scope="col">${L('tokenLabel')}</th><th scope="col">${L('tokenCreated')}</th><th scope="col">${L('tokenLastUsed')}</th><th scope="col">${L('tokenState')}</th><th scope="col"><span class="muted">${L('revoke')}</span></th></tr></thead>
  <tbody>${v.tokens.map((t) => html`<tr><td><code>${t.id}</code></td><td>${t.label}</td><td>${when(t.createdAt)}</td>
    <td>${t.lastUsedAt ? when(t.lastUsedAt) : L('tokenNever')}</td><td>${t.revokedAt ? L('tokenRevoked') : L('tokenLive')}</td>
    <td>${t.revokedAt ? '' : html`<form method="post" action="/account/tokens/${t.id}/revoke" class="inline">${csrfField(ctx.csrf)}<button type="submit" class="danger" aria-label="${L('revoke')} ${t.id}">${L('revoke')}</button></form>`}</td></tr>`)}</tbody>
</table></div>` : html`<p>${L('tokenNone')}</p>`}
<form method="post" action="/account/tokens" class="stack narrow" aria-labelledby="tokens">
  ${csrfField(ctx.csrf)}
  <div><label for="token-label">${L('tokenLabel')}</label><input id="token-label" name="label" maxlength="100" autocomplete="off"></div>
  <div><label for="token-password">${L('current')}</label>
    <input id="token-password" name="current" type="password" autocomplete="current-password" required aria-describedby="token-hint">
    <small id="token-hint" class="muted">${L('tokenCreateNote')}</small></div>
  <button type="submit">${L('tokenCreate')}</button>
</form>

<h2 id="sessions">${L('sessionsTitle')}</h2>
<p class="muted">${L('sessionsNote')}</p>
<form method="post" action="/logout" class="inline">
  ${csrfField(ctx.csrf)}
  <input type="hidden" name="everywhere" value="1">
  <button type="submit" class="danger">${L('everywhere')}</button>
</form>`);
}

export function totpEnrolPage(ctx: PageCtx, v: { secret: string; uri: string; message?: string }): Html {
  const L = (k: Key) => accountLabel(ctx.lang, k);
  // the secret in groups of four, as apps display it and people type it
  const grouped = v.secret.replace(/(.{4})/g, '$1 ').trim();
  return layout(ctx, L('enrolTitle'), html`
<ol class="stack">
  <li><p>${L('enrolStep1')}</p>
    <dl class="meta">
      <dt>${L('secret')}</dt><dd><code>${grouped}</code></dd>
      <dt>${L('uri')}</dt><dd><a href="${v.uri}"><code>${v.uri}</code></a></dd>
    </dl></li>
  <li><p>${L('enrolStep2')}</p>
    <form method="post" action="/account/totp/confirm" class="stack narrow">
      ${csrfField(ctx.csrf)}
      ${v.message ? html`<p class="error" role="alert">${v.message}</p>` : ''}
      <div><label for="totp-code">${L('code')}</label>
        <input id="totp-code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus></div>
      <button type="submit" class="primary">${L('confirmTotp')}</button>
    </form></li>
</ol>
<p><a href="/account">${L('cancel')}</a></p>`);
}
