import { html } from 'hono/html';
import type { Lang, Vars } from './i18n.ts';
import { approvalsLabels } from './labels/approvals.ts';
import { csrfField, fmtDuration, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

function lbl(lang: Lang) {
  const t = approvalsLabels.for(lang);
  // Keys built from data (`kind.${r.kind}`) that have no label show as they are.
  return (k: string, vars?: Vars) => (approvalsLabels.has(k) ? t(k, vars) : k);
}

// The page's view models. The route hands over the stored requests, their previews and
// outcomes (src/approvals/); these name only what the page reads, so the page depends on
// no module above core (DESIGN §2) and the type checker still matches them at the route.

/** A four-eyes request as the page shows it. */
export interface ApprovalItem {
  id: string;
  kind: string;
  target: string;
  requestedBy: string;
  requester: string;
  requestedAt: number;
  expiresAt: number;
  reason: string;
  beneficiaries?: string[];
  state: 'pending' | 'approved' | 'rejected' | 'expired' | 'done';
  decidedBy?: string;
  decidedAt?: number;
  rejectOnly?: true;
}

/** What approving would do (src/approvals/preview.ts, ApprovalEffect). */
export interface ApprovalEffect {
  summary: string;
  sentence?: { key: string; vars: Record<string, string | number> };
  facts: { label: string; value: string }[];
  calls?: {
    total: number;
    rows: { id: string; start: number | null; durationMs: number | null; queue: string | null; expiresBefore?: number | null; expiresAfter?: number | null }[];
    masked: boolean;
  };
  held?: { id: string; hold: string; caseName: string | null }[];
  gone?: string[];
}

/** What a finished request did (src/approvals/preview.ts, ApprovalResult). */
export interface ApprovalResult {
  outcome: 'done' | 'partial' | 'nothing';
  summary: string;
  counts?: Record<string, number>;
}

export interface ApprovalsData {
  pending: { row: ApprovalItem; preview: ApprovalEffect }[];
  approvedNotDone: { row: ApprovalItem; preview: ApprovalEffect }[];
  mine: { row: ApprovalItem; outcome: ApprovalResult | null }[];
  /** requests this person decided (last 30 days), newest first, with what they did */
  decidedByMe: { row: ApprovalItem; outcome: ApprovalResult | null }[];
  canDecide: boolean;
  me: { actor: string; name: string };
  done?: string;
  error?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

function effect(ctx: PageCtx, id: string, p: ApprovalEffect): Html {
  const t = lbl(ctx.lang);
  const when = (ms: number | null | undefined) => (ms == null ? t('never') : html`<time datetime="${iso(ms)}">${fmtTime(iso(ms), ctx.lang)}</time>`);
  const moves = p.calls?.rows.some((c) => c.expiresAfter !== undefined || c.expiresBefore !== undefined);
  return html`<section class="effect" aria-labelledby="e-${id}">
<h4 id="e-${id}">${t('effect')}</h4>
${p.sentence && approvalsLabels.has(`sentence.${p.sentence.key}`) ? html`<p class="sentence"><strong>${t(`sentence.${p.sentence.key}` as never, p.sentence.vars)}</strong></p>` : ''}
<p class="summary" lang="en">${p.summary}</p>
<dl class="meta">${p.facts.map((f) => html`<dt>${t(`fact.${f.label}`)}</dt><dd>${f.value}</dd>`)}</dl>
${p.calls && p.calls.total ? html`<p>${t('calls', { n: p.calls.total })}${p.calls.rows.length < p.calls.total ? html` (${t('callsCapped', { shown: p.calls.rows.length, n: p.calls.total })})` : ''}</p>
${p.calls.masked ? html`<p class="muted">${t('callsMasked')}</p>` : ''}
<div class="table-wrap"><table class="calls" id="calls-${id}">
<thead><tr><th scope="col">${t('colId')}</th>${p.calls.masked ? '' : html`<th scope="col">${t('colStart')}</th><th scope="col">${t('colDuration')}</th><th scope="col">${t('colQueue')}</th>`}
${moves ? html`<th scope="col">${t('colBefore')}</th><th scope="col">${t('colAfter')}</th>` : ''}</tr></thead>
<tbody>${p.calls.rows.map((c) => html`<tr data-id="${c.id}"><td><a href="/recordings/${c.id}"><code>${c.id}</code></a></td>
${p.calls!.masked ? '' : html`<td>${c.start === null ? '–' : when(c.start)}</td><td class="num">${c.durationMs === null ? '–' : fmtDuration(c.durationMs)}</td><td>${c.queue ?? '–'}</td>`}
${moves ? html`<td>${when(c.expiresBefore)}</td><td>${c.expiresAfter === undefined ? '–' : when(c.expiresAfter)}</td>` : ''}</tr>`)}</tbody></table></div>` : ''}
${p.held?.length ? html`<p>${t('heldTitle', { n: p.held.length })}</p><ul class="held">${p.held.map((h) => html`<li data-held="${h.id}"><a href="/recordings/${h.id}"><code>${h.id}</code></a> · <a href="/holds#hold-${h.hold}"><code>${h.hold}</code></a>${h.caseName ? html` ${h.caseName}` : ''}</li>`)}</ul>` : ''}
${p.gone?.length ? html`<p>${t('goneTitle', { n: p.gone.length })}</p><ul class="gone">${p.gone.map((g) => html`<li><code>${g}</code></li>`)}</ul>` : ''}
</section>`;
}

function result(ctx: PageCtx, r: ApprovalItem, o: ApprovalResult | null): Html {
  const t = lbl(ctx.lang);
  if (r.state !== 'done' || !o) return html`${t(`state.${r.state}`)}${r.decidedBy ? html` (${r.decidedBy})` : ''}`;
  const counts = Object.entries(o.counts ?? {}).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${t(`count.${k}`)}`).join(', ');
  return html`<strong class="outcome-${o.outcome}">${t(`outcome.${o.outcome}`)}</strong>${counts ? html`: ${counts}` : ''}
<br><span class="muted" lang="en">${o.summary}</span>`;
}

export function approvalsPage(ctx: PageCtx, d: ApprovalsData): Html {
  const t = lbl(ctx.lang);
  const when = (ms: number) => html`<time datetime="${iso(ms)}">${fmtTime(iso(ms), ctx.lang)}</time>`;
  const doneMsg = d.done && approvalsLabels.has(`done.${d.done}`) ? t(`done.${d.done}`) : null;
  const isMine = (r: ApprovalItem) => r.requester === d.me.name || r.requestedBy === d.me.actor;
  return layout(ctx, t('title'), html`
<p>${t('intro')}</p>
${doneMsg ? html`<p class="note" role="status" id="done">${doneMsg}</p>` : ''}
${d.error ? html`<p class="error" role="alert" id="action-error">${d.error}</p>` : ''}
<section aria-labelledby="pending-h" id="pending">
<h2 id="pending-h">${t('pending')}</h2>
${d.pending.length === 0 ? html`<p>${t('pendingNone')}</p>` : d.pending.map(({ row: r, preview }) => html`<article id="a-${r.id}" class="approval" aria-labelledby="ah-${r.id}">
<h3 id="ah-${r.id}">${t(`kind.${r.kind}`)} <code>${r.target}</code></h3>
<dl class="meta">
<dt>${t('colBy')}</dt><dd>${r.requestedBy}</dd>
<dt>${t('colAt')}</dt><dd>${when(r.requestedAt)}</dd>
<dt>${t('colExpires')}</dt><dd>${when(r.expiresAt)}</dd>
<dt>${t('colReason')}</dt><dd>${r.reason}</dd>
</dl>
${effect(ctx, r.id, preview)}
${isMine(r) ? html`<p class="muted">${t('own')}</p>` : r.beneficiaries?.includes(d.me.name) ? html`<p class="muted">${t('aboutYou')}</p>` : !d.canDecide ? html`<p class="muted">${t('cannotDecide')}</p>` : html`
  <form method="post" action="/approvals/${r.id}/decide" class="stack narrow">${csrfField(ctx.csrf)}
    <label for="note-${r.id}">${t('note')}</label>
    <textarea id="note-${r.id}" name="note" rows="2" maxlength="2000"></textarea>
    ${r.rejectOnly ? html`<p class="muted">${t('rejectOnly')}</p>` : html`<button type="submit" name="decision" value="approve" class="danger">${t('approve')}</button>`}
    <button type="submit" name="decision" value="reject">${t('reject')}</button>
  </form>`}
</article>`)}
</section>
${d.approvedNotDone.length ? html`<section aria-labelledby="stuck-h">
<h2 id="stuck-h">${t('approvedNotDone')}</h2>
<ul>${d.approvedNotDone.map(({ row: r, preview }) => html`<li id="s-${r.id}">${t(`kind.${r.kind}`)} <code>${r.target}</code> (${r.decidedBy ?? ''}) <span lang="en">${preview.summary}</span>
  ${d.canDecide ? html`<form method="post" action="/approvals/${r.id}/run" class="inline">${csrfField(ctx.csrf)}<button type="submit">${t('run')}</button></form>` : ''}</li>`)}</ul>
</section>` : ''}
${d.decidedByMe.length ? html`<section aria-labelledby="decided-h">
<h2 id="decided-h">${t('decided')}</h2>
<div class="table-wrap"><table id="decided" aria-labelledby="decided-h">
<thead><tr><th scope="col">${t('colKind')}</th><th scope="col">${t('colTarget')}</th><th scope="col">${t('colDecided')}</th><th scope="col">${t('colResult')}</th></tr></thead>
<tbody>${d.decidedByMe.map(({ row: r, outcome }) => html`<tr id="d-${r.id}"><td>${t(`kind.${r.kind}`)}</td><td><code>${r.target}</code></td>
<td>${r.decidedAt ? when(r.decidedAt) : '–'}</td><td>${result(ctx, r, outcome)}</td></tr>`)}</tbody></table></div>
</section>` : ''}
<section aria-labelledby="mine-h">
<h2 id="mine-h">${t('mine')}</h2>
${d.mine.length === 0 ? html`<p>${t('mineNone')}</p>` : html`<div class="table-wrap"><table id="mine" aria-labelledby="mine-h">
<thead><tr><th scope="col">${t('colKind')}</th><th scope="col">${t('colTarget')}</th><th scope="col">${t('colAt')}</th><th scope="col">${t('colState')}</th></tr></thead>
<tbody>${d.mine.map(({ row: r, outcome }) => html`<tr><td>${t(`kind.${r.kind}`)}</td><td><code>${r.target}</code></td><td>${when(r.requestedAt)}</td>
<td>${result(ctx, r, outcome)}</td></tr>`)}</tbody></table></div>`}
</section>`);
}
