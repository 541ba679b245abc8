import { html } from 'hono/html';
import { breachesLabels, type BreachesLabel } from './labels/breaches.ts';
import { csrfField, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

/**
 * The breach register's pages (Art. 33/34): the list with each open breach's 72-hour
 * clock, the form to record one, and one breach's page with the assessment, the notices
 * sent and the draft notification. The view models carry what the pages show; facts
 * arrive already opened (the route logs that first).
 */

export interface BreachSummary {
  id: string;
  noticedAt: number;
  risk: string;
  state: string;
  /** ms until the 72 hours end (negative: passed); null when no notice is due */
  msLeft: number | null;
  authorityNotifiedAt: number | null;
}

export interface BreachDetail extends BreachSummary {
  subjectsNotifiedAt: number | null;
  notice: { title: string; sections: { label: string; text: string }[]; note: string };
}

const t = (ctx: PageCtx) => breachesLabels.for(ctx.lang);
const at = (ctx: PageCtx, ms: number) => fmtTime(new Date(ms).toISOString(), ctx.lang);

/** "41 h 12 min left" or "passed 3 h ago": the clock the dashboard shows too */
export function breachClock(ctx: PageCtx, b: BreachSummary): string {
  const l = t(ctx);
  if (b.authorityNotifiedAt !== null) return l('notified', { at: at(ctx, b.authorityNotifiedAt) });
  if (b.msLeft === null) return l('noNotice');
  if (b.msLeft < 0) return l('overdue', { h: Math.floor(-b.msLeft / 3600_000) });
  return l('left', { h: Math.floor(b.msLeft / 3600_000), m: Math.floor((b.msLeft % 3600_000) / 60_000) });
}

const riskLabel = (ctx: PageCtx, risk: string) => (breachesLabels.has(`risk.${risk}`) ? t(ctx)(`risk.${risk}` as BreachesLabel) : risk);

function row(ctx: PageCtx, b: BreachSummary): Html {
  return html`<tr id="breach-${b.id}"${b.msLeft !== null && b.msLeft < 0 && b.authorityNotifiedAt === null ? html` class="overdue"` : ''}><td><a href="/privacy/breaches/${b.id}">${b.id}</a></td><td>${at(ctx, b.noticedAt)}</td><td>${riskLabel(ctx, b.risk)}</td><td class="clock">${breachClock(ctx, b)}</td></tr>`;
}

export function breachesPage(ctx: PageCtx, d: { open: BreachSummary[]; closed: BreachSummary[]; error?: string }): Html {
  const l = t(ctx);
  const table = (rows: BreachSummary[], id: string) => rows.length === 0 ? html`<p>${l('none')}</p>` : html`<div class="table-wrap"><table id="${id}"><thead><tr><th scope="col">${l('colId')}</th><th scope="col">${l('colNoticed')}</th><th scope="col">${l('colRisk')}</th><th scope="col">${l('colDeadline')}</th></tr></thead><tbody>${rows.map((b) => row(ctx, b))}</tbody></table></div>`;
  return layout(ctx, l('title'), html`<p>${l('intro')}</p>
${d.error ? html`<p class="error" role="alert" id="action-error">${d.error}</p>` : ''}
<section aria-labelledby="h-open"><h2 id="h-open">${l('open')}</h2>${table(d.open, 'breaches-open')}</section>
<section aria-labelledby="h-record"><h2 id="h-record">${l('record')}</h2>
<form method="post" action="/privacy/breaches" class="stack" id="record-breach">${csrfField(ctx.csrf)}
<label for="b-noticed">${l('noticedAt')}</label><input id="b-noticed" name="noticedAt" type="datetime-local" required>
<label for="b-nature">${l('nature')}</label><textarea id="b-nature" name="nature" required maxlength="10000"></textarea>
<label for="b-categories">${l('categories')}</label><textarea id="b-categories" name="categories" maxlength="10000"></textarea>
<label for="b-subjects">${l('subjects')}</label><input id="b-subjects" name="subjectsEstimate" type="number" min="0" step="1" value="0">
<label for="b-records">${l('records')}</label><input id="b-records" name="recordsEstimate" type="number" min="0" step="1" value="0">
<label for="b-calls">${l('callIds')}</label><input id="b-calls" name="callIds">
<label for="b-consequences">${l('consequences')}</label><textarea id="b-consequences" name="consequences" maxlength="10000"></textarea>
<label for="b-measures">${l('measures')}</label><textarea id="b-measures" name="measures" maxlength="10000"></textarea>
<button type="submit">${l('submit')}</button></form></section>
<section aria-labelledby="h-closed"><h2 id="h-closed">${l('closed')}</h2>${table(d.closed, 'breaches-closed')}</section>`);
}

export function breachPage(ctx: PageCtx, b: BreachDetail, error?: string): Html {
  const l = t(ctx);
  const open = b.state === 'open';
  return layout(ctx, `${l('colId')} ${b.id}`, html`<p><a href="/privacy/breaches">${l('back')}</a></p>
${error ? html`<p class="error" role="alert" id="action-error">${error}</p>` : ''}
<p id="clock" class="clock">${breachClock(ctx, b)}</p>
<p id="risk">${l('colRisk')}: ${riskLabel(ctx, b.risk)}</p>
${b.subjectsNotifiedAt !== null ? html`<p id="subjects-notified">${l('subjectsNotified', { at: at(ctx, b.subjectsNotifiedAt) })}</p>` : ''}
<section aria-labelledby="h-draft"><h2 id="h-draft">${l('draft')}</h2>
<p class="muted">${b.notice.note}</p>
<dl id="notice">${b.notice.sections.map((s) => html`<dt>${s.label}</dt><dd>${s.text}</dd>`)}</dl>
<p><a href="/privacy/breaches/${b.id}/notice.pdf?lang=de" download>${l('draftPdfDe')}</a> · <a href="/privacy/breaches/${b.id}/notice.pdf?lang=en" download>${l('draftPdfEn')}</a></p></section>
${open ? html`<section aria-labelledby="h-assess"><h2 id="h-assess">${l('assess')}</h2>
<form method="post" action="/privacy/breaches/${b.id}/assess" class="stack" id="assess">${csrfField(ctx.csrf)}
<label for="a-risk">${l('colRisk')}</label><select id="a-risk" name="risk">${['unassessed', 'unlikely', 'risk', 'high'].map((r) => html`<option value="${r}"${r === b.risk ? html` selected` : ''}>${riskLabel(ctx, r)}</option>`)}</select>
<button type="submit">${l('assessSubmit')}</button></form></section>
<section aria-labelledby="h-notify"><h2 id="h-notify">${l('notify')}</h2>
<form method="post" action="/privacy/breaches/${b.id}/notify" class="stack" id="notify">${csrfField(ctx.csrf)}
<label for="n-to">${l('notifyTo')}</label><select id="n-to" name="to"><option value="authority">${l('toAuthority')}</option><option value="subjects">${l('toSubjects')}</option></select>
<label for="n-at">${l('notifyAt')}</label><input id="n-at" name="at" type="datetime-local" required>
<label for="n-delay">${l('delayReason')}</label><textarea id="n-delay" name="delayReason" maxlength="10000"></textarea>
<button type="submit">${l('notifySubmit')}</button></form></section>
<section aria-labelledby="h-close"><h2 id="h-close">${l('close')}</h2>
<form method="post" action="/privacy/breaches/${b.id}/close" class="stack" id="close">${csrfField(ctx.csrf)}
<label for="c-note">${l('closeNote')}</label><textarea id="c-note" name="note" required maxlength="10000"></textarea>
<button type="submit">${l('closeSubmit')}</button></form></section>` : ''}`);
}
