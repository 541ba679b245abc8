import { html, raw } from 'hono/html';
import type { UserView } from './users.ts';
import type { Lang } from './i18n.ts';
import { accountLabel, type AccountLabel } from './labels/account.ts';
import { csrfField, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

/** The signed-in user's own account (/account): password, second factor, sessions. */

type Key = AccountLabel;

export { accountLabel, type AccountLabel };

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
  user: UserView;
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

/** `qr`: the SVG markup of the setup link's QR code, made on the box (src/documents/qr.ts) — inline, as the CSP allows no scripts. */
export function totpEnrolPage(ctx: PageCtx, v: { secret: string; uri: string; qr: string; message?: string }): Html {
  const L = (k: Key) => accountLabel(ctx.lang, k);
  // the secret in groups of four, as apps display it and people type it
  const grouped = v.secret.replace(/(.{4})/g, '$1 ').trim();
  return layout(ctx, L('enrolTitle'), html`
<ol class="stack">
  <li><p>${L('enrolStep1')}</p>
    <div class="qr" id="totp-qr">${raw(v.qr)}</div>
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
