import { html, raw } from 'hono/html';
import type { Lang } from './i18n.ts';
import { privacyLabels, type PrivacyLabel } from './labels/privacy.ts';
import { actionCell } from './action-cell.ts';
import { csrfField, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

/**
 * The DPO workbench (issue 11 item 9): open requests by due date, counts per kind, the
 * subject lookup, registering a request; and one request's page with its transitions and
 * its timeline read from the access log. View models name only what the pages read, so the
 * views depend on no module above core (DESIGN §2).
 */

export { privacyLabels };

/** a request as the register lists it (no identifiers, no free text: those are sealed) */
export interface RequestSummary {
  id: string;
  kind: string;
  state: string;
  receivedAt: number;
  dueAt: number;
  channel: string;
  /** open and past its deadline */
  overdue: boolean;
  /** open and due within 7 days */
  dueSoon: boolean;
  open: boolean;
}

export interface RequestDetail extends RequestSummary {
  firstDueAt: number;
  identifiers: string[];
  identity: { method: string; by: string; at: number } | null;
  extension: { months: number; notifiedAt: number; by: string; at: number } | null;
  openedBy: string;
  closedAt: number | null;
  closedBy: string | null;
}

export type TimelineEntry =
  | { seq: number; time: string; actor: string; action: string; detail: Record<string, unknown> }
  | { seq: number; unreadable: true };

export interface SubjectHitsView {
  recordings: string[];
  quarantined: string[];
  holds: string[];
  requests: string[];
}

export interface RequestDraft { kind: string; number: string; customerId: string; received: string; channel: string }

export interface RequestsData {
  open: RequestSummary[];
  /** open requests per kind, every kind listed */
  counts: { kind: string; n: number }[];
  kinds: readonly string[];
  draft?: RequestDraft;
  error?: string;
  errorAt?: 'open' | 'lookup';
  done?: string;
  /** the lookup's answer, after a POST of the lookup form */
  hits?: SubjectHitsView;
  /** the objection register's page once it exists (p3-objection); null: a placeholder */
  objectionsHref: string | null;
}

export interface RequestPageData {
  request: RequestDetail;
  timeline: TimelineEntry[];
  timelinePartial: boolean;
  /** Art. 12(4): what a refusal must tell the subject */
  refusalInformation: string;
  error?: string;
  errorAt?: 'verify' | 'start' | 'extend' | 'close' | 'withdraw' | 'erase' | 'package';
  done?: string;
  /**
   * Buttons of the kind's own workflow (access package, erasure, objection entry, from
   * their owners' routes); empty until they are wired, the page shows the slot
   */
  kindActions?: Html;
}

export const REQUEST_DONE = ['opened', 'verified', 'started', 'extended', 'answered', 'refused', 'withdrawn', 'excluded', 'released'] as const;

type L = (k: PrivacyLabel, v?: Record<string, string | number>) => string;
const labels = (lang: Lang): L => (k, v) => privacyLabels.get(lang, k, v);
const iso = (ms: number) => new Date(ms).toISOString();
const when = (ms: number, lang: Lang) => html`<time datetime="${iso(ms)}">${fmtTime(iso(ms), lang)}</time>`;
const day = (ms: number, lang: Lang) => new Date(ms).toLocaleDateString(lang === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'medium' });
const kindLabel = (L: L, k: string) => (privacyLabels.has(`kind.${k}`) ? L(`kind.${k}` as PrivacyLabel) : k);
const stateLabel = (L: L, s: string) => (privacyLabels.has(`state.${s}`) ? L(`state.${s}` as PrivacyLabel) : s);
const doneText = (L: L, done: string | undefined) => (done && (REQUEST_DONE as readonly string[]).includes(done) ? L(`done.${done}` as PrivacyLabel) : null);

function dueCell(r: RequestSummary, L: L, lang: Lang): Html {
  return html`<time datetime="${iso(r.dueAt)}">${day(r.dueAt, lang)}</time>${r.overdue ? html` <span class="badge overdue">${L('overdue')}</span>` : r.dueSoon ? html` <span class="badge due-soon">${L('dueSoon')}</span>` : ''}`;
}

const rowClass = (r: RequestSummary) => (r.overdue ? 'overdue' : r.dueSoon ? 'due-soon' : '');

function hitList(label: string, ids: string[], href: ((id: string) => string) | null, id: string): Html {
  return html`<dt>${label} (${ids.length})</dt><dd id="${id}">${ids.length ? ids.map((x) => (href ? html`<a href="${href(x)}"><code>${x}</code></a> ` : html`<code>${x}</code> `)) : '—'}</dd>`;
}

function opt(value: string, label: string, current: string): Html {
  return html`<option value="${value}"${current === value ? raw(' selected') : ''}>${label}</option>`;
}

/** /privacy/requests: the workbench's start page. */
export function requestsPage(ctx: PageCtx, d: RequestsData): Html {
  const lang = ctx.lang;
  const L = labels(lang);
  const f = d.draft ?? { kind: 'access', number: '', customerId: '', received: '', channel: '' };
  const err = (at: RequestsData['errorAt']) => (d.error && d.errorAt === at ? html`<p class="error" role="alert" id="${at}-error">${d.error}</p>` : '');
  const done = doneText(L, d.done);
  return layout(ctx, L('title'), html`
<p>${L('intro')}</p>
<p><a href="/privacy/record-of-processing">${L('recordLink')}</a> · <a href="/privacy">${L('publicLink')}</a> · ${d.objectionsHref ? html`<a href="${d.objectionsHref}" id="objections-link">${L('objectionsLink')}</a>` : html`<span class="muted" id="objections-link">${L('objectionsLater')}</span>`}</p>
${done ? html`<p class="ok" role="status" id="done">${done}</p>` : ''}
<section aria-labelledby="counts-h"><h2 id="counts-h">${L('countsTitle')}</h2>
<ul id="counts" class="inline-list">${d.counts.map((k) => html`<li data-kind="${k.kind}">${kindLabel(L, k.kind)}: <strong>${k.n}</strong></li>`)}</ul></section>

<section aria-labelledby="open-h"><h2 id="open-h">${L('openTitle')}</h2>
${d.open.length ? html`<div class="table-wrap"><table id="open-requests" aria-labelledby="open-h">
<thead><tr><th scope="col">${L('colDue')}</th><th scope="col">${L('colId')}</th><th scope="col">${L('colKind')}</th><th scope="col">${L('colState')}</th><th scope="col">${L('colReceived')}</th><th scope="col">${L('colChannel')}</th></tr></thead>
<tbody>${d.open.map((r) => html`<tr id="req-${r.id}" class="${rowClass(r)}"><td>${dueCell(r, L, lang)}</td><td><a href="/privacy/requests/${r.id}"><code>${r.id}</code></a></td>
<td>${kindLabel(L, r.kind)}</td><td>${stateLabel(L, r.state)}</td><td>${day(r.receivedAt, lang)}</td><td>${r.channel}</td></tr>`)}</tbody></table></div>` : html`<p>${L('none')}</p>`}
</section>

<section aria-labelledby="lookup-h"><h2 id="lookup-h">${L('lookupTitle')}</h2>
<p class="muted">${L('lookupIntro')}</p>
<form method="post" action="/privacy/subjects" class="stack narrow" aria-labelledby="lookup-h">${csrfField(ctx.csrf)}
  ${err('lookup')}
  <div><label for="s-number">${L('idNumber')}</label><input id="s-number" name="number" inputmode="tel" autocomplete="off"></div>
  <div><label for="s-customer">${L('idCustomer')}</label><input id="s-customer" name="customerId" autocomplete="off"></div>
  <button type="submit">${L('lookup')}</button>
</form>
${d.hits ? html`<h3 id="hits-h">${L('lookupResult')}</h3><dl id="hits" class="meta" aria-labelledby="hits-h">
${hitList(L('hitsRecordings'), d.hits.recordings, (x) => `/recordings/${x}`, 'hits-recordings')}
${hitList(L('hitsQuarantined'), d.hits.quarantined, null, 'hits-quarantined')}
${hitList(L('hitsHolds'), d.hits.holds, (x) => `/holds#hold-${x}`, 'hits-holds')}
${hitList(L('hitsRequests'), d.hits.requests, (x) => `/privacy/requests/${x}`, 'hits-requests')}
</dl><p class="muted">${L('hitsNote')}</p>` : ''}
</section>

<section aria-labelledby="new-h"><h2 id="new-h">${L('newTitle')}</h2>
<form method="post" action="/privacy/requests" class="stack narrow" aria-labelledby="new-h">${csrfField(ctx.csrf)}
  ${err('open')}
  <div><label for="r-kind">${L('kind')}</label><select id="r-kind" name="kind">${d.kinds.map((k) => opt(k, kindLabel(L, k), f.kind))}</select></div>
  <fieldset><legend>${L('identifier')}</legend>
    <div><label for="r-number">${L('idNumber')}</label><input id="r-number" name="number" inputmode="tel" autocomplete="off" value="${f.number}"></div>
    <div><label for="r-customer">${L('idCustomer')}</label><input id="r-customer" name="customerId" autocomplete="off" value="${f.customerId}"></div>
    <small class="muted">${L('idHint')}</small>
  </fieldset>
  <div><label for="r-received">${L('received')}</label><input id="r-received" name="received" type="date" value="${f.received}" aria-describedby="r-received-hint"><small id="r-received-hint" class="muted">${L('receivedHint')}</small></div>
  <div><label for="r-channel">${L('channel')}</label><input id="r-channel" name="channel" maxlength="64" autocomplete="off" value="${f.channel}" aria-describedby="r-channel-hint"><small id="r-channel-hint" class="muted">${L('channelHint')}</small></div>
  <button type="submit" class="primary">${L('open')}</button>
</form>
</section>`);
}

function detailText(d: Record<string, unknown>): string {
  // the log holds ids, kinds, states, dates and counts only (DESIGN §3): safe to show as they are
  return Object.entries(d).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}

/** /privacy/requests/:id */
export function requestPage(ctx: PageCtx, d: RequestPageData): Html {
  const lang = ctx.lang;
  const L = labels(lang);
  const r = d.request;
  const err = (at: RequestPageData['errorAt']) => (d.error && d.errorAt === at ? html`<p class="error" role="alert" id="${at}-error">${d.error}</p>` : '');
  const done = doneText(L, d.done);
  const post = (what: string) => `/privacy/requests/${r.id}/${what}`;
  const open = r.open;
  const closable = ['identity-verified', 'in-progress'].includes(r.state);
  return layout(ctx, L('requestTitle', { id: r.id }), html`
<p><a href="/privacy/requests">${L('back')}</a></p>
${done ? html`<p class="ok" role="status" id="done">${done}</p>` : ''}
<section aria-labelledby="facts-h"><h2 id="facts-h">${L('facts')}</h2>
<dl class="meta" id="facts">
  <dt>${L('colKind')}</dt><dd id="kind">${kindLabel(L, r.kind)}</dd>
  <dt>${L('colState')}</dt><dd id="state">${stateLabel(L, r.state)}</dd>
  <dt>${L('colReceived')}</dt><dd>${day(r.receivedAt, lang)}</dd>
  <dt>${L('colDue')}</dt><dd id="due" class="${r.overdue ? 'error' : ''}">${dueCell(r, L, lang)}</dd>
  ${r.extension ? html`<dt>${L('firstDue')}</dt><dd>${day(r.firstDueAt, lang)}</dd>` : ''}
  <dt>${L('colChannel')}</dt><dd>${r.channel}</dd>
  <dt>${L('identifiers')}</dt><dd>${r.identifiers.map((k) => (privacyLabels.has(`ident.${k}`) ? L(`ident.${k}` as PrivacyLabel) : k)).join(', ')}</dd>
  <dt>${L('openedBy')}</dt><dd>${r.openedBy}</dd>
  <dt>${L('identity')}</dt><dd id="identity">${r.identity ? html`${L('identityDone', { method: r.identity.method, by: r.identity.by })}, ${when(r.identity.at, lang)}` : L('identityNone')}</dd>
  <dt>${L('extension')}</dt><dd id="extension">${r.extension ? L('extensionDone', { months: r.extension.months, notified: day(r.extension.notifiedAt, lang), by: r.extension.by }) : L('extensionNone')}</dd>
  ${r.closedAt !== null ? html`<dt>${L('closeTitle')}</dt><dd id="closed">${L('closed', { at: fmtTime(iso(r.closedAt), lang), by: r.closedBy ?? '' })}</dd>` : ''}
  ${r.state === 'refused' ? html`<dt>${L('refusalInformation')}</dt><dd id="refusal-information">${d.refusalInformation}</dd>` : ''}
</dl></section>

<section aria-labelledby="kind-actions-h" id="kind-actions" data-kind="${r.kind}"><h2 id="kind-actions-h">${L('kindActions')}</h2>
${err('erase')}${err('package')}${d.kindActions ?? html`<p class="muted">${L('kindActionsLater', { kind: kindLabel(L, r.kind) })}</p>`}
</section>

${r.state === 'received' ? html`<section aria-labelledby="verify-h"><h2 id="verify-h">${L('verifyTitle')}</h2>
<form method="post" action="${post('verify')}" class="stack narrow" aria-labelledby="verify-h">${csrfField(ctx.csrf)}${err('verify')}
  <div><label for="v-method">${L('verifyMethod')}</label><input id="v-method" name="method" required maxlength="200" autocomplete="off" aria-describedby="v-method-hint"><small id="v-method-hint" class="muted">${L('verifyHint')}</small></div>
  <button type="submit" class="primary">${L('verify')}</button>
</form></section>` : ''}

${r.state === 'identity-verified' ? html`<section aria-labelledby="start-h"><h2 id="start-h">${L('startTitle')}</h2>
<form method="post" action="${post('start')}" aria-labelledby="start-h">${csrfField(ctx.csrf)}${err('start')}<button type="submit">${L('start')}</button></form></section>` : ''}

${open && (!r.extension || r.extension.months < 2) ? html`<section aria-labelledby="extend-h"><h2 id="extend-h">${L('extendTitle')}</h2>
<form method="post" action="${post('extend')}" class="stack narrow" aria-labelledby="extend-h">${csrfField(ctx.csrf)}${err('extend')}
  <div><label for="e-months">${L('months')}</label><select id="e-months" name="months">${opt('1', '1', '')}${opt('2', '2', '')}</select></div>
  <div><label for="e-reason">${L('extendReason')}</label><textarea id="e-reason" name="reason" rows="2" maxlength="2000" required></textarea></div>
  <div><label for="e-notified">${L('notified')}</label><input id="e-notified" name="notified" type="date" required aria-describedby="e-notified-hint"><small id="e-notified-hint" class="muted">${L('notifiedHint')}</small></div>
  <button type="submit">${L('extend')}</button>
</form></section>` : ''}

${open ? html`<section aria-labelledby="close-h"><h2 id="close-h">${L('closeTitle')}</h2>
<form method="post" action="${post('close')}" class="stack narrow" aria-labelledby="close-h">${csrfField(ctx.csrf)}${err('close')}
  <div><label for="c-outcome">${L('outcome')}</label><select id="c-outcome" name="outcome">${closable ? opt('answered', L('outcomeAnswered'), '') : ''}${opt('refused', L('outcomeRefused'), '')}</select></div>
  <div><label for="c-reason">${L('closeReason')}</label><textarea id="c-reason" name="reason" rows="2" maxlength="2000"></textarea></div>
  <p class="note" id="refusal-note">${L('refusalNote')} ${d.refusalInformation}</p>
  <button type="submit">${L('close')}</button>
</form>
<form method="post" action="${post('withdraw')}" class="inline">${csrfField(ctx.csrf)}${err('withdraw')}<button type="submit">${L('withdraw')}</button></form></section>` : ''}

<section aria-labelledby="timeline-h"><h2 id="timeline-h">${L('timeline')}</h2>
${d.timeline.length ? html`<div class="table-wrap"><table id="timeline" aria-labelledby="timeline-h">
<thead><tr><th scope="col">${L('colTime')}</th><th scope="col">${L('colAction')}</th><th scope="col">${L('colActor')}</th><th scope="col">${L('colDetail')}</th><th scope="col">${L('colSeq')}</th></tr></thead>
<tbody>${d.timeline.map((e) => ('unreadable' in e
    ? html`<tr><td colspan="4" class="error">${L('unreadable')}</td><td><a href="/log?before=${e.seq + 1}">${e.seq}</a></td></tr>`
    : html`<tr data-action="${e.action}"><td>${when(Date.parse(e.time), lang)}</td><td>${actionCell(lang, e.action)}</td><td>${e.actor}</td><td>${detailText(e.detail)}</td><td>${e.seq}</td></tr>`))}</tbody></table></div>
${d.timelinePartial ? html`<p class="muted">${L('timelinePartial')}</p>` : ''}` : html`<p>${L('timelineNone')}</p>`}
</section>`);
}

/** The erasure steps on an erasure request's page (Art. 17; src/web/routes/privacy.ts). */
export function erasureActions(ctx: PageCtx, d: { id: string; canAsk: boolean; certificate: boolean }): Html {
  const L = labels(ctx.lang);
  return html`<p>${L('eraseIntro')}</p>
${d.canAsk ? html`<form method="post" action="/privacy/requests/${d.id}/erase">${csrfField(ctx.csrf)}
<p><label><input type="checkbox" name="confirmMass" value="1"> ${L('eraseConfirmMass')}</label></p>
<p><button type="submit" class="danger">${L('eraseAsk')}</button></p></form>` : ''}
<h3>${L('eraseCertificate')}</h3>
${d.certificate ? html`<p><a href="/privacy/requests/${d.id}/certificate.pdf" download>PDF</a> · <a href="/privacy/requests/${d.id}/certificate.json" download>JSON</a></p>` : html`<p class="muted">${L('eraseCertificateNone')}</p>`}`;
}

/** The Art. 15 package on an access request's page: the draft, exclusions, release, the ZIP. */
export interface PackageActionsView {
  id: string;
  /** identity verified, not released: the draft can be changed and released */
  canEdit: boolean;
  ready: boolean;
  calls: { id: string; start: number; durationMs: number; excluded: { reason: string; by: string; at: number } | null }[];
  reasons: readonly string[];
  released: { at: number; by: string; calls: number; withheld: number; wav: boolean; encrypted: boolean } | null;
  /** the ZIP's password, right after the release only */
  password?: string;
}

export function packageActions(ctx: PageCtx, d: PackageActionsView): Html {
  const L = labels(ctx.lang);
  const reason = (r: string) => (privacyLabels.has(`pkgReason.${r}`) ? L(`pkgReason.${r}` as PrivacyLabel) : r);
  const base = `/privacy/requests/${d.id}/package`;
  if (!d.ready && !d.released) return html`<p class="muted" id="package-not-ready">${L('pkgNotReady')}</p>`;
  return html`<div id="package"><p>${L('pkgIntro')}</p>
${d.calls.length ? html`<div class="table-wrap"><table id="package-calls"><thead><tr><th scope="col">${L('pkgColCall')}</th><th scope="col">${L('pkgColStart')}</th><th scope="col">${L('pkgColDuration')}</th><th scope="col">${L('pkgColStatus')}</th></tr></thead>
<tbody>${d.calls.map((c) => html`<tr data-call="${c.id}" class="${c.excluded ? 'excluded' : ''}"><td><a href="/recordings/${c.id}"><code>${c.id}</code></a></td><td>${when(c.start, ctx.lang)}</td><td>${Math.round(c.durationMs / 1000)}</td>
<td>${c.excluded ? L('pkgExcluded', { reason: reason(c.excluded.reason) }) : d.canEdit ? html`<form method="post" action="${base}/exclude" class="inline">${csrfField(ctx.csrf)}<input type="hidden" name="callId" value="${c.id}">
<label>${L('pkgReason')} <select name="reason">${d.reasons.map((r) => html`<option value="${r}">${reason(r)}</option>`)}</select></label>
<label>${L('pkgNote')} <input name="note" maxlength="2000" autocomplete="off"></label> <button type="submit">${L('pkgExclude')}</button></form>` : L('pkgIncluded')}</td></tr>`)}</tbody></table></div>` : html`<p class="muted">${L('pkgNone')}</p>`}
<h3>${L('pkgReleaseTitle')}</h3>
${d.released ? html`<p id="package-released">${L('pkgReleased', { at: fmtTime(iso(d.released.at), ctx.lang), by: d.released.by, calls: d.released.calls, withheld: d.released.withheld })}</p>
${d.password ? html`<p class="note" role="status">${L('pkgPasswordOnce')}</p><p><code id="package-password">${d.password}</code></p>` : ''}
<p><a id="package-zip" href="${base}.zip" download>${L('pkgDownload')}</a></p>`
    : d.canEdit ? html`<form method="post" action="${base}/release" id="package-release">${csrfField(ctx.csrf)}
<p><label><input type="checkbox" name="wav" value="1"> ${L('pkgWav')}</label></p>
<p><label><input type="checkbox" name="protect" value="1" checked> ${L('pkgProtect')}</label></p>
<p><button type="submit" class="primary">${L('pkgRelease')}</button></p></form>` : ''}</div>`;
}
