import { html } from 'hono/html';
import { csrfField, layout, type Html, type PageCtx } from './layout.ts';

export function loginPage(ctx: PageCtx, v: { name?: string; next?: string; message?: string; askTotp?: boolean }): Html {
  const { t } = ctx;
  return layout(ctx, t('login.title'), html`
<form method="post" action="/login" class="stack narrow">
  ${csrfField(ctx.csrf)}
  <input type="hidden" name="next" value="${v.next ?? ''}">
  ${v.message ? html`<p class="error" role="alert" id="login-error">${v.message}</p>` : ''}
  <div><label for="name">${t('login.name')}</label>
    <input id="name" name="name" autocomplete="username" required value="${v.name ?? ''}" autofocus></div>
  <div><label for="password">${t('login.password')}</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required></div>
  ${v.askTotp ? html`<div><label for="totp">${t('login.totp')}</label>
    <input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"></div>` : ''}
  <button type="submit" class="primary">${t('login.submit')}</button>
</form>`);
}

export function setupPage(ctx: PageCtx, v: { token: string; valid: boolean; name?: string; message?: string }): Html {
  const { t } = ctx;
  if (!v.valid) return layout(ctx, t('setup.title'), html`<p class="error" role="alert">${t('setup.invalid')}</p>`);
  return layout(ctx, t('setup.title'), html`
<p>${t('setup.intro')}</p>
<form method="post" action="/setup" class="stack narrow">
  ${csrfField(ctx.csrf)}
  <input type="hidden" name="token" value="${v.token}">
  ${v.message ? html`<p class="error" role="alert">${v.message}</p>` : ''}
  <div><label for="name">${t('login.name')}</label>
    <input id="name" name="name" autocomplete="username" required value="${v.name ?? ''}"></div>
  <div><label for="password">${t('login.password')}</label>
    <input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required aria-describedby="pw-hint">
    <small id="pw-hint" class="muted">${t('setup.passwordHint')}</small></div>
  <button type="submit" class="primary">${t('setup.submit')}</button>
</form>`);
}

export function totpEnrolPage(ctx: PageCtx, v: { token: string; secret: string; uri: string; next?: string; message?: string }): Html {
  const { t } = ctx;
  return layout(ctx, t('login.totpEnrolTitle'), html`
<p>${t('login.totpEnrol')}</p>
<ol class="stack narrow">
  <li>${t('login.totpEnrolStep1')}<br><code id="totp-secret">${v.secret.replace(/(.{4})/g, '$1 ').trim()}</code><br>
    <small class="muted">${v.uri}</small></li>
  <li>${t('login.totpEnrolStep2')}</li>
</ol>
<form method="post" action="/login/totp-enrol" class="stack narrow">
  ${csrfField(ctx.csrf)}
  <input type="hidden" name="token" value="${v.token}">
  <input type="hidden" name="next" value="${v.next ?? ''}">
  ${v.message ? html`<p class="error" role="alert">${v.message}</p>` : ''}
  <div><label for="code">${t('login.totp')}</label>
    <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus></div>
  <button type="submit" class="primary">${t('login.submit')}</button>
</form>`);
}

const SET_PASSWORD = {
  en: {
    title: 'Choose your password',
    intro: 'An administrator set up this link for {name}. Choose your own password; nobody else learns it. The link works once.',
    invalid: 'This link is not valid any more (used, replaced by a newer one, or expired). Ask an administrator for a new one. If you did not use it yourself, tell them: someone else may have.',
    password: 'New password',
    again: 'New password again',
    hint: 'At least 12 characters.',
    submit: 'Set password',
    mismatch: 'The two passwords differ.',
  },
  de: {
    title: 'Eigenes Passwort wählen',
    intro: 'Ein Administrator hat diesen Link für {name} angelegt. Wählen Sie Ihr eigenes Passwort; niemand sonst erfährt es. Der Link funktioniert einmal.',
    invalid: 'Dieser Link gilt nicht mehr (benutzt, durch einen neueren ersetzt oder abgelaufen). Bitten Sie einen Administrator um einen neuen. Haben Sie ihn nicht selbst benutzt, sagen Sie es ihm: dann hat es jemand anderes getan.',
    password: 'Neues Passwort',
    again: 'Neues Passwort wiederholen',
    hint: 'Mindestens 12 Zeichen.',
    submit: 'Passwort setzen',
    mismatch: 'Die beiden Passwörter unterscheiden sich.',
  },
} as const;

export type SetPasswordLabel = keyof (typeof SET_PASSWORD)['en'];
export const setPasswordLabel = (lang: 'de' | 'en', k: SetPasswordLabel) => SET_PASSWORD[lang][k];

/** The page of a set-password link (src/auth/password-links.ts). */
export function setPasswordPage(ctx: PageCtx, v: { user: string; token: string; valid: boolean; message?: string }): Html {
  const L = SET_PASSWORD[ctx.lang];
  if (!v.valid) return layout(ctx, L.title, html`<p class="error" role="alert" id="link-invalid">${L.invalid}</p>`);
  return layout(ctx, L.title, html`
<p>${L.intro.replace('{name}', v.user)}</p>
<form method="post" action="/password/set" class="stack narrow">
  ${csrfField(ctx.csrf)}
  <input type="hidden" name="user" value="${v.user}">
  <input type="hidden" name="token" value="${v.token}">
  ${v.message ? html`<p class="error" role="alert">${v.message}</p>` : ''}
  <input type="hidden" name="username" autocomplete="username" value="${v.user}">
  <div><label for="password">${L.password}</label>
    <input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required aria-describedby="pw-hint">
    <small id="pw-hint" class="muted">${L.hint}</small></div>
  <div><label for="password2">${L.again}</label>
    <input id="password2" name="password2" type="password" autocomplete="new-password" minlength="12" required></div>
  <button type="submit" class="primary">${L.submit}</button>
</form>`);
}
