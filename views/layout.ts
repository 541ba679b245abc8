import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Lang } from './i18n.ts';
import type { T } from './labels/common.ts';

/** Pure render functions (DESIGN §2 views/): data in, HTML out, everything escaped by `html`. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** Who is signed in, as pages show it. */
export interface PageUser {
  name: string;
  roles: readonly string[];
}

export interface PageCtx {
  t: T;
  lang: Lang;
  principal: PageUser | null;
  /**
   * Whether the signed-in principal holds a permission (src/auth/roles.ts decides; the
   * route hands the answer over, so the nav shows the links the principal may use and
   * pages never evaluate roles themselves). False when nobody is signed in.
   */
  may(permission: string): boolean;
  csrf: string;
  /** path of the current page, for the nav's aria-current */
  path: string;
}

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

function navLink(ctx: PageCtx, href: string, label: string): Html {
  const current = href === '/' ? ctx.path === '/' : ctx.path.startsWith(href);
  return html`<li><a href="${href}"${current ? raw(' aria-current="page"') : ''}>${label}</a></li>`;
}

export function layout(ctx: PageCtx, title: string, body: Html): Html {
  const p = ctx.principal;
  const { t } = ctx;
  return html`<!doctype html>
<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Tresor</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/htmx.js" defer></script>
</head>
<body>
<a class="skip" href="#main">${t('nav.skip')}</a>
<header class="top">
  <span class="brand">Tresor</span>
  ${p ? html`<nav aria-label="main"><ul>
    ${ctx.may('system.view') ? navLink(ctx, '/', t('nav.dashboard')) : ''}
    ${ctx.may('recording.search') ? navLink(ctx, '/recordings', t('nav.recordings')) : ''}
    ${ctx.may('log.read') ? navLink(ctx, '/log', t('nav.log')) : ''}
    ${ctx.may('users.manage') ? navLink(ctx, '/admin/users', t('nav.users')) : ''}
    ${ctx.may('users.manage') ? navLink(ctx, '/admin/extensions', t('nav.extensions')) : ''}
    ${ctx.may('approvals.decide') ? navLink(ctx, '/approvals', t('nav.approvals')) : ''}
    ${ctx.may('retention.manage') ? navLink(ctx, '/retention', t('nav.retention')) : ''}
    ${ctx.may('holds.manage') ? navLink(ctx, '/holds', t('nav.holds')) : ''}
    ${ctx.may('privacy.requests') ? navLink(ctx, '/privacy/requests', t('nav.privacy')) : ''}
    ${ctx.may('privacy.requests') ? navLink(ctx, '/privacy/breaches', t('nav.breaches')) : ''}
    ${navLink(ctx, '/account', t('nav.account'))}
  </ul></nav>
  <span class="who">${p.name} (${p.roles.join(', ')})</span>
  <form method="post" action="/logout" class="inline">${csrfField(ctx.csrf)}<button type="submit">${t('nav.logout')}</button></form>` : ''}
  <form method="post" action="/lang" class="inline">${csrfField(ctx.csrf)}<input type="hidden" name="to" value="${ctx.lang === 'de' ? 'en' : 'de'}"><button type="submit" lang="${ctx.lang === 'de' ? 'en' : 'de'}">${t('lang.switch')}</button></form>
</header>
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

export function errorPage(ctx: PageCtx, title: string, message: string): Html {
  return layout(ctx, title, html`<p class="error" role="alert">${message}</p><p><a href="/">${ctx.t('common.back')}</a></p>`);
}

export function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Local time of the box, as the people in the call centre read it. */
export function fmtTime(iso: string, lang: Lang): string {
  return new Date(iso).toLocaleString(lang === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}
