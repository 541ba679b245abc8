import { html } from 'hono/html';
import type { Lang } from './i18n.ts';
import { logLabels } from './labels/log.ts';
import { actionCell } from './action-cell.ts';
import { csrfField, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

function lbl(lang: Lang) {
  return logLabels.for(lang);
}

export interface LogFilters { actor: string; action: string; target: string; from: string; to: string }

export type ShownEntry =
  | { seq: number; time: string; actor: string; action: string; target: string; detail: Record<string, unknown> }
  | { seq: number; unreadable: true };

export interface LogResults {
  filters: LogFilters;
  entries: ShownEntry[];
  /** cursor for the next (older) page */
  next: number | null;
  /** the scan budget ran out at this seq without filling the page */
  partial: boolean;
  error?: string;
}

export interface VerifyOutcome { ok: boolean; size: number; checkpoints: number; root: string; problems: string[] }

function query(f: LogFilters, before?: number): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) p.set(k, v);
  if (before !== undefined) p.set('before', String(before));
  const s = p.toString();
  return s ? `/log?${s}` : '/log';
}

/** The results region; htmx swaps it in place (hx-target/hx-swap on each element: no inheritance in htmx 4). */
export function logResults(ctx: PageCtx, r: LogResults): Html {
  const t = lbl(ctx.lang);
  const hx = (href: string) => html`href="${href}" hx-get="${href}" hx-target="#log-results" hx-swap="outerHTML" hx-push-url="true"`;
  return html`<section id="log-results" aria-label="${t('title')}">
${r.error ? html`<p class="error" role="alert">${r.error}</p>` : ''}
${r.entries.length === 0 && !r.partial ? html`<p>${t('none')}</p>` : ''}
${r.entries.length ? html`<div class="table-wrap"><table id="log-table">
<thead><tr><th scope="col">${t('colSeq')}</th><th scope="col">${t('colTime')}</th><th scope="col">${t('colActor')}</th>
<th scope="col">${t('colAction')}</th><th scope="col">${t('colTarget')}</th><th scope="col">${t('colDetail')}</th></tr></thead>
<tbody>${r.entries.map((e) => 'unreadable' in e
    ? html`<tr data-seq="${e.seq}"><td class="num">${e.seq}</td><td colspan="5" class="error">${t('unreadable')}</td></tr>`
    : html`<tr data-seq="${e.seq}"><td class="num">${e.seq}</td>
<td><time datetime="${e.time}" title="${e.time}">${fmtTime(e.time, ctx.lang)}</time></td>
<td><a ${hx(query({ ...emptyFilters(), actor: e.actor }))}>${e.actor}</a></td>
<td>${actionCell(ctx.lang, e.action)}</td>
<td><a ${hx(query({ ...emptyFilters(), target: e.target }))}>${e.target}</a></td>
<td><code>${JSON.stringify(e.detail)}</code></td></tr>`)}</tbody></table></div>` : ''}
${r.partial && r.next !== null ? html`<p>${t('partial', { seq: r.next })} <a ${hx(query(r.filters, r.next))} rel="next">${t('continue')}</a></p>`
    : r.next !== null ? html`<p><a ${hx(query(r.filters, r.next))} rel="next">${t('older')}</a></p>` : ''}
</section>`;
}

export function emptyFilters(): LogFilters {
  return { actor: '', action: '', target: '', from: '', to: '' };
}

export function logPage(ctx: PageCtx, v: { results: LogResults; size: number; verify?: VerifyOutcome; verifier: Record<'verify.mjs' | 'verify.html', string> }): Html {
  const t = lbl(ctx.lang);
  const f = v.results.filters;
  return layout(ctx, t('title'), html`
<p class="muted">${t('size', { size: v.size })}</p>
${v.verify ? verifyResult(ctx, v.verify) : ''}
<form method="get" action="/log" class="filters" role="search" aria-label="${t('filters')}"
  hx-get="/log" hx-target="#log-results" hx-swap="outerHTML" hx-push-url="true">
  <div><label for="f-actor">${t('actor')}</label><input id="f-actor" name="actor" value="${f.actor}"></div>
  <div><label for="f-action">${t('action')}</label><input id="f-action" name="action" value="${f.action}"></div>
  <div><label for="f-target">${t('target')}</label><input id="f-target" name="target" value="${f.target}"></div>
  <div><label for="f-from">${t('from')}</label><input id="f-from" name="from" type="date" value="${f.from}"></div>
  <div><label for="f-to">${t('to')}</label><input id="f-to" name="to" type="date" value="${f.to}"></div>
  <div><button type="submit" class="primary">${t('search')}</button> <a href="/log">${t('reset')}</a></div>
</form>
${logResults(ctx, v.results)}
<section aria-labelledby="verify-h">
<h2 id="verify-h">${t('verifyH')}</h2>
<p>${t('verifyIntro')}</p>
<form method="post" action="/log/verify">${csrfField(ctx.csrf)}<button type="submit">${t('verify')}</button></form>
</section>
<section aria-labelledby="export-h">
<h2 id="export-h">${t('exportH')}</h2>
<p>${t('exportIntro')}</p>
<p><a href="/log/export.tar" download>${t('export')}</a></p>
</section>
<section aria-labelledby="handout-h" id="hand-out">
<h2 id="handout-h">${t('handOutH')}</h2>
<p>${t('handOutIntro')}</p>
<p><a href="/log/checkpoint.pdf" download>${t('handOutPdf')}</a> · <a href="/log/checkpoint.svg" download>${t('handOutSvg')}</a> · <a href="/log/checkpoint.txt" download>${t('handOutTxt')}</a></p>
</section>
<section aria-labelledby="verifier-h" id="verifier">
<h2 id="verifier-h">${t('verifierH')}</h2>
<p>${t('verifierIntro')}</p>
<ul>
<li><a href="/log/verifier/verify.mjs" download>${t('verifierMjs')}</a><br>SHA-256 <code>${v.verifier['verify.mjs']}</code></li>
<li><a href="/log/verifier/verify.html" download>${t('verifierHtml')}</a><br>SHA-256 <code>${v.verifier['verify.html']}</code></li>
</ul>
</section>`);
}

function verifyResult(ctx: PageCtx, r: VerifyOutcome): Html {
  const t = lbl(ctx.lang);
  return html`<div id="verify-result" role="status" class="note">
<p class="${r.ok ? 'ok' : 'error'}"><strong>${r.ok ? t('verifyOk', { size: r.size, checkpoints: r.checkpoints }) : t('verifyBad', { n: r.problems.length, size: r.size })}</strong></p>
<p>${t('root')}: <code>${r.root}</code></p>
${r.problems.length ? html`<ul>${r.problems.slice(0, 100).map((p) => html`<li>${p}</li>`)}</ul>` : ''}
</div>`;
}
