import { html, raw } from 'hono/html';
import type { Lang } from './i18n.ts';
import { rightsLabels, type RightsLabel } from './labels/rights.ts';
import { csrfField, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

/**
 * The dpo's tools for data-subject rights outside a request page (issue 11 #5–#7): the
 * restrict / lift / rectify section of the recording page, and the objection register.
 * View models carry ids, kinds and counts only — identifiers are sealed and never reach
 * these pages (DESIGN §3).
 */

type L = (k: RightsLabel, v?: Record<string, string | number>) => string;
const labels = (lang: Lang): L => (k, v) => rightsLabels.get(lang, k, v);
const known = (L: L, prefix: string, v: string) => (rightsLabels.has(`${prefix}.${v}`) ? L(`${prefix}.${v}` as RightsLabel) : v);
const today = () => new Date().toISOString().slice(0, 10);

export interface RightsSectionView {
  id: string;
  /** the call's current restriction grounds (`restricted:<kind>` marks) */
  restricted: string[];
  reasons: readonly string[];
  fields: readonly string[];
  done?: string;
  error?: string;
  errorAt?: 'restrict' | 'unrestrict' | 'rectify';
}

export const RIGHTS_DONE = ['restricted', 'lifted', 'rectified'] as const;

/** On /recordings/:id for a holder of `privacy.requests`. */
export function rightsSection(ctx: PageCtx, d: RightsSectionView): Html {
  const L = labels(ctx.lang);
  const err = (at: RightsSectionView['errorAt']) => (d.error && d.errorAt === at ? html`<p class="error" role="alert" id="rights-error">${d.error}</p>` : '');
  const done = d.done && (RIGHTS_DONE as readonly string[]).includes(d.done) ? L(`done.${d.done}` as RightsLabel) : null;
  const base = `/recordings/${d.id}`;
  const requestField = (p: string) => html`<div><label for="${p}-request">${L('requestId')}</label><input id="${p}-request" name="requestId" maxlength="26" autocomplete="off" aria-describedby="${p}-request-hint"><small id="${p}-request-hint" class="muted">${L('requestIdHint')}</small></div>`;
  const free = d.reasons.filter((r) => !d.restricted.includes(r));
  return html`<section aria-labelledby="h-rights" id="rights">
<h2 id="h-rights">${L('sectionTitle')}</h2>
<p class="muted">${L('sectionIntro')}</p>
${done ? html`<p class="ok" role="status" id="rights-done">${done}</p>` : ''}
<p id="restriction-state" data-restricted="${d.restricted.join(' ')}">${d.restricted.length ? L('restrictedNow', { reasons: d.restricted.map((r) => known(L, 'reason', r)).join(', ') }) : L('notRestricted')}</p>
${free.length ? html`<h3 id="h-restrict">${L('restrictTitle')}</h3>
<form method="post" action="${base}/restrict" class="stack narrow" aria-labelledby="h-restrict">${csrfField(ctx.csrf)}${err('restrict')}
  <div><label for="r-reason">${L('reason')}</label><select id="r-reason" name="reason">${free.map((r) => html`<option value="${r}">${known(L, 'reason', r)}</option>`)}</select></div>
  ${requestField('r')}
  <button type="submit" class="danger">${L('restrict')}</button>
</form>` : ''}
${d.restricted.length ? html`<h3 id="h-lift">${L('liftTitle')}</h3>
<form method="post" action="${base}/unrestrict" class="stack narrow" aria-labelledby="h-lift">${csrfField(ctx.csrf)}${err('unrestrict')}
  <div><label for="u-notified">${L('notified')}</label><input id="u-notified" name="notified" type="date" required max="${today()}" aria-describedby="u-notified-hint"><small id="u-notified-hint" class="muted">${L('notifiedHint')}</small></div>
  ${requestField('u')}
  <button type="submit">${L('lift')}</button>
</form>` : ''}
<h3 id="h-rectify">${L('rectifyTitle')}</h3>
<form method="post" action="${base}/rectify" class="stack narrow" aria-labelledby="h-rectify">${csrfField(ctx.csrf)}${err('rectify')}
  <div><label for="x-field">${L('field')}</label><select id="x-field" name="field">${d.fields.map((f) => html`<option value="${f}">${known(L, 'field', f)}</option>`)}</select></div>
  <div><label for="x-value">${L('value')}</label><input id="x-value" name="value" required maxlength="200" autocomplete="off"></div>
  <div><label for="x-statement">${L('statement')}</label><textarea id="x-statement" name="statement" rows="2" maxlength="2000"></textarea></div>
  ${requestField('x')}
  <button type="submit">${L('rectify')}</button>
</form>
</section>`;
}

export interface ObjectionItem {
  id: string;
  scope: string;
  createdAt: number;
  requestId: string | null;
  /** which kinds of identifier were given (phone, customer): never the identifier */
  identifiers: string[];
  /** archived calls carrying one of its tokens, and how many of them are restricted */
  calls: number;
  restricted: number;
  removedAt: number | null;
}

export interface ObjectionsData {
  items: ObjectionItem[];
  scopes: readonly string[];
  /** right after adding (or after restricting its calls): the entry whose calls are a DPO task */
  task?: ObjectionItem;
  restrictedAll?: { n: number; already: number };
  draft?: { number: string; customerId: string; scope: string; requestId: string };
  error?: string;
  done?: string;
}

function taskForms(ctx: PageCtx, L: L, o: ObjectionItem): Html {
  if (o.removedAt !== null || !o.calls) return html``;
  const base = `/privacy/objections/${o.id}`;
  return html`<form method="post" action="${base}/erasure-request" class="inline">${csrfField(ctx.csrf)}<button type="submit" class="danger" title="${L('eraseHint')}">${L('erase')}</button></form>
${o.restricted < o.calls ? html`<form method="post" action="${base}/restrict" class="inline">${csrfField(ctx.csrf)}<button type="submit" title="${L('restrictAllHint')}">${L('restrictAll')}</button></form>` : ''}`;
}

/** /privacy/objections */
export function objectionsPage(ctx: PageCtx, d: ObjectionsData): Html {
  const lang = ctx.lang;
  const L = labels(lang);
  const f = d.draft ?? { number: '', customerId: '', scope: 'record', requestId: '' };
  const when = (ms: number) => html`<time datetime="${new Date(ms).toISOString()}">${fmtTime(new Date(ms).toISOString(), lang)}</time>`;
  return layout(ctx, L('objTitle'), html`
<p><a href="/privacy/requests">${L('back')}</a></p>
<p>${L('objIntro')}</p>
${d.done === 'removed' ? html`<p class="ok" role="status" id="done">${L('done.removed')}</p>` : ''}
${d.task ? html`<section id="objection-added" aria-labelledby="task-h" class="note"><h2 id="task-h">${d.restrictedAll ? L('restrictedAll', { n: d.restrictedAll.n, already: d.restrictedAll.already }) : L('added')}</h2>
<p id="existing-calls" data-calls="${d.task.calls}">${d.task.calls ? L('existing', { n: d.task.calls, restricted: d.task.restricted }) : L('existingNone')}</p>
${d.task.calls ? html`<p>${taskForms(ctx, L, d.task)}</p><p class="muted">${L('eraseHint')} ${L('restrictAllHint')}</p>` : ''}</section>` : ''}

<section aria-labelledby="list-h"><h2 id="list-h">${L('objTitle')}</h2>
${d.items.length ? html`<div class="table-wrap"><table id="objections" aria-labelledby="list-h">
<thead><tr><th scope="col">${L('colScope')}</th><th scope="col">${L('colSince')}</th><th scope="col">${L('colRequest')}</th><th scope="col">${L('colIdentifier')}</th><th scope="col">${L('colCalls')}</th><th scope="col">${L('colState')}</th></tr></thead>
<tbody>${d.items.map((o) => html`<tr id="obj-${o.id}" data-scope="${o.scope}" class="${o.removedAt !== null ? 'muted' : ''}">
<td>${known(L, 'scope', o.scope)}</td><td>${when(o.createdAt)}</td>
<td>${o.requestId ? html`<a href="/privacy/requests/${o.requestId}"><code>${o.requestId}</code></a>` : L('byHand')}</td>
<td>${o.identifiers.map((k) => known(L, 'ident', k)).join(', ')}</td>
<td class="num">${o.calls}${o.restricted ? ` (${o.restricted} ⊘)` : ''}</td>
<td>${o.removedAt !== null ? L('removed', { at: fmtTime(new Date(o.removedAt).toISOString(), lang) }) : html`${L('active')}
<form method="post" action="/privacy/objections/${o.id}/remove" class="inline">${csrfField(ctx.csrf)}<button type="submit" title="${L('removeHint')}">${L('remove')}</button></form>`}</td></tr>`)}</tbody></table></div>` : html`<p>${L('objNone')}</p>`}
</section>

<section aria-labelledby="add-h"><h2 id="add-h">${L('addTitle')}</h2>
<form method="post" action="/privacy/objections" class="stack narrow" aria-labelledby="add-h">${csrfField(ctx.csrf)}
  ${d.error ? html`<p class="error" role="alert" id="add-error">${d.error}</p>` : ''}
  <div><label for="o-number">${L('idNumber')}</label><input id="o-number" name="number" inputmode="tel" autocomplete="off" value="${f.number}"></div>
  <div><label for="o-customer">${L('idCustomer')}</label><input id="o-customer" name="customerId" autocomplete="off" value="${f.customerId}"></div>
  <small class="muted">${L('idHint')}</small>
  <div><label for="o-scope">${L('scope')}</label><select id="o-scope" name="scope">${d.scopes.map((s) => html`<option value="${s}"${f.scope === s ? raw(' selected') : ''}>${known(L, 'scope', s)}</option>`)}</select></div>
  <div><label for="o-request">${L('colRequest')}</label><input id="o-request" name="requestId" maxlength="26" autocomplete="off" value="${f.requestId}"></div>
  <button type="submit" class="primary">${L('add')}</button>
</form>
</section>`);
}
