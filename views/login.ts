import { html, raw } from 'hono/html';
import { csrfField, layout, type Html, type PageCtx } from './layout.ts';
import { setPasswordLabel, setPasswordLabels } from './labels/set-password.ts';

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

/** `qr`: the SVG markup of the setup link's QR code, made on the box (src/documents/qr.ts). */
export function totpEnrolPage(ctx: PageCtx, v: { token: string; secret: string; uri: string; qr: string; next?: string; message?: string }): Html {
  const { t } = ctx;
  return layout(ctx, t('login.totpEnrolTitle'), html`
<p>${t('login.totpEnrol')}</p>
<ol class="stack narrow">
  <li>${t('login.totpEnrolStep1')}<br><span class="qr" id="totp-qr">${raw(v.qr)}</span><br><code id="totp-secret">${v.secret.replace(/(.{4})/g, '$1 ').trim()}</code><br>
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


export { setPasswordLabel };

/** The page of a set-password link (src/auth/password-links.ts). */
export function setPasswordPage(ctx: PageCtx, v: { user: string; token: string; valid: boolean; message?: string }): Html {
  const t = setPasswordLabels.for(ctx.lang);
  if (!v.valid) return layout(ctx, t('title'), html`<p class="error" role="alert" id="link-invalid">${t('invalid')}</p>`);
  return layout(ctx, t('title'), html`
<p>${t('intro', { name: v.user })}</p>
<form method="post" action="/password/set" class="stack narrow">
  ${csrfField(ctx.csrf)}
  <input type="hidden" name="user" value="${v.user}">
  <input type="hidden" name="token" value="${v.token}">
  ${v.message ? html`<p class="error" role="alert">${v.message}</p>` : ''}
  <input type="hidden" name="username" autocomplete="username" value="${v.user}">
  <div><label for="password">${t('password')}</label>
    <input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required aria-describedby="pw-hint">
    <small id="pw-hint" class="muted">${t('hint')}</small></div>
  <div><label for="password2">${t('again')}</label>
    <input id="password2" name="password2" type="password" autocomplete="new-password" minlength="12" required></div>
  <button type="submit" class="primary">${t('submit')}</button>
</form>`);
}
