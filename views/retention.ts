import { html, raw } from 'hono/html';
import type { Lang } from './i18n.ts';
import { retentionLabel, type RetentionLabel } from './labels/retention.ts';
import { csrfField, fmtDuration, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

/** /retention: policies, dry run, purge runs and their reports; and the recording page's retention section. */

// The page's view models: the route hands over the stored policies, runs and plans
// (src/retention/); these name only what the page reads, so the page depends on no module
// above core (DESIGN §2) and the type checker still matches them at the route.

/** Which calls a policy covers: each listed field must match one of its values. */
export type PolicyMatchView = Partial<Record<'queue' | 'direction' | 'purpose' | 'tags' | 'consent', string[]>>;

export interface PolicyView {
  name: string;
  match: PolicyMatchView;
  /** ISO 8601 duration */
  keep: string;
  lock: boolean;
  updatedAt: number;
  updatedBy: string;
}

export interface PurgeRunView {
  id: string;
  by: string;
  startedAt: number;
  state: 'running' | 'done' | 'interrupted' | 'failed';
  purged: number;
  held: number;
  report: { json: string; csv: string; sha256: string } | null;
}

export interface PurgeItemView {
  id: string;
  start: number;
  policy: string | null;
  expiresAt: number;
}

/** A dry run: what is due now, and what a legal hold keeps. */
export interface PurgePlanView {
  /** the moment the plan was made */
  now: number;
  due: PurgeItemView[];
  held: (PurgeItemView & { hold: string })[];
}

/** The purge refuses until someone confirms the clock (src/retention/clock-guard.ts). */
export interface ClockHoldView {
  since: number;
  reason: string;
}

type Key = RetentionLabel;

const iso = (ms: number) => new Date(ms).toISOString();
const when = (ms: number, lang: Lang) => html`<time datetime="${iso(ms)}">${fmtTime(iso(ms), lang)}</time>`;

export function matchText(m: PolicyMatchView, lang: Lang): string {
  const parts = Object.entries(m).filter(([, v]) => Array.isArray(v) && v.length).map(([k, v]) => `${k}: ${(v as string[]).join(', ')}`);
  return parts.length ? parts.join('; ') : retentionLabel(lang, 'all');
}

/** The policy form's fields as typed. */
export interface PolicyDraft {
  name: string;
  keep: string;
  queue: string;
  direction: string;
  purpose: string;
  tags: string;
  consent: string;
  lock: boolean;
}

export function draftOf(p: PolicyView): PolicyDraft {
  const j = (v: string[] | undefined) => (v ?? []).join(', ');
  return { name: p.name, keep: p.keep, queue: j(p.match.queue), direction: j(p.match.direction), purpose: j(p.match.purpose), tags: j(p.match.tags), consent: j(p.match.consent), lock: p.lock };
}

export const DONE = ['saved', 'removed', 'clock', 'change-requested'] as const;

export interface RetentionData {
  policies: PolicyView[];
  runs: PurgeRunView[];
  /** the form: a draft that was refused, or the policy being edited */
  draft?: PolicyDraft;
  editing?: boolean;
  error?: string;
  /** 'policy': the error belongs to the policy form; otherwise it shows at the top */
  errorAt?: 'policy';
  done?: string;
  /** the purge refuses until someone confirms the clock (src/retention/clock-guard.ts) */
  clockHold?: ClockHoldView | null;
  /** a change that needs a second person: its dry run and the form to ask */
  change?: PolicyChangeView;
  /** policy changes waiting on /approvals */
  pendingChanges?: { id: string; target: string; requestedBy: string; graceUntil?: number }[];
}

/** The dry run of a policy change that brings deletion forward (src/retention/policy-change.ts). */
export interface PolicyChangeView {
  name: string;
  remove: boolean;
  earlier: number;
  dueNow: number;
  minGraceDays: number;
  /** capped; start/duration/queue null when the viewer may not see call metadata */
  calls: { id: string; start: number | null; durationMs: number | null; queue: string | null; before: number | null; after: number }[];
  error?: string;
}

function changePanel(ctx: PageCtx, ch: PolicyChangeView, f: PolicyDraft): Html {
  const lang = ctx.lang;
  const L = (k: Key, v?: Record<string, string | number>) => retentionLabel(lang, k, v);
  const hidden = (name: keyof PolicyDraft) => html`<input type="hidden" name="${name}" value="${String(f[name])}">`;
  return html`<section aria-labelledby="change-h" id="policy-change" class="note">
<h2 id="change-h">${L('changeTitle', { n: ch.earlier, due: ch.dueNow })}</h2>
<p>${L('changeIntro', { min: ch.minGraceDays })}</p>
${ch.error ? html`<p class="error" role="alert" id="change-error">${ch.error}</p>` : ''}
<div class="table-wrap"><table id="earlier" aria-labelledby="change-h">
<thead><tr><th scope="col">${L('colId')}</th><th scope="col">${L('colStart')}</th><th scope="col">${L('colDuration')}</th><th scope="col">${L('colQueue')}</th><th scope="col">${L('colBefore')}</th><th scope="col">${L('colAfter')}</th></tr></thead>
<tbody>${ch.calls.map((c) => html`<tr data-id="${c.id}"><td><a href="/recordings/${c.id}"><code>${c.id}</code></a></td><td>${c.start === null ? '–' : when(c.start, lang)}</td>
<td class="num">${c.durationMs === null ? '–' : fmtDuration(c.durationMs)}</td><td>${c.queue ?? '–'}</td><td>${c.before === null ? L('secNever') : when(c.before, lang)}</td><td>${when(c.after, lang)}</td></tr>`)}</tbody></table></div>
${ch.earlier > ch.calls.length ? html`<p class="muted">${L('changeMore', { n: ch.earlier - ch.calls.length })}</p>` : ''}
<form method="post" action="${ch.remove ? `/retention/policies/${encodeURIComponent(ch.name)}/remove` : '/retention/policies'}" class="stack narrow">${csrfField(ctx.csrf)}
  <input type="hidden" name="request" value="1">
  ${ch.remove ? '' : html`${hidden('name')}${hidden('keep')}${hidden('queue')}${hidden('direction')}${hidden('purpose')}${hidden('tags')}${hidden('consent')}${f.lock ? html`<input type="hidden" name="lock" value="1">` : ''}`}
  <div><label for="change-reason">${L('changeReason')}</label><textarea id="change-reason" name="reason" rows="2" maxlength="2000" required></textarea></div>
  <div><label for="change-grace">${L('changeGrace')}</label><input id="change-grace" name="graceDays" inputmode="numeric" pattern="[0-9]*" autocomplete="off"></div>
  <button type="submit" class="danger">${L('changeAsk')}</button>
</form>
</section>`;
}

function message(error: string | undefined): Html | string {
  return error ? html`<p class="error" role="alert" id="retention-error">${error}</p>` : '';
}

export function retentionPage(ctx: PageCtx, d: RetentionData): Html {
  const lang = ctx.lang;
  const L = (k: Key, v?: Record<string, string | number>) => retentionLabel(lang, k, v);
  const f = d.draft ?? { name: '', keep: '', queue: '', direction: '', purpose: '', tags: '', consent: '', lock: false };
  const done = d.done && (DONE as readonly string[]).includes(d.done) ? L(`done.${d.done}` as Key) : null;
  const text = (id: string, name: keyof PolicyDraft, label: Key, hint?: Key, extra = '') => html`<div><label for="${id}">${L(label)}</label>
    <input id="${id}" name="${name}" autocomplete="off" value="${String(f[name])}"${raw(extra)}${hint ? raw(` aria-describedby="${id}-hint"`) : ''}>
    ${hint ? html`<small id="${id}-hint" class="muted">${L(hint)}</small>` : ''}</div>`;
  return layout(ctx, L('title'), html`
<p>${L('intro')}</p>
${done ? html`<p class="ok" role="status" id="done">${done}</p>` : ''}
${d.errorAt === 'policy' ? '' : message(d.error)}
${d.change ? changePanel(ctx, d.change, f) : ''}
${d.pendingChanges?.length ? html`<section aria-labelledby="pending-changes-h" id="pending-changes">
<h2 id="pending-changes-h">${L('pendingChanges')}</h2>
<ul>${d.pendingChanges.map((a) => html`<li><a href="/approvals#a-${a.id}">${L('pendingChangeLine', { target: a.target, by: a.requestedBy })}</a>${a.graceUntil ? html` — ${L('pendingChangeGrace', { at: fmtTime(iso(a.graceUntil), lang) })}` : ''}</li>`)}</ul>
</section>` : ''}
<section aria-labelledby="policies-h">
<h2 id="policies-h">${L('policies')}</h2>
${d.policies.length ? html`<div class="table-wrap"><table id="policies" aria-labelledby="policies-h">
<thead><tr><th scope="col">${L('colName')}</th><th scope="col">${L('colMatch')}</th><th scope="col">${L('colKeep')}</th><th scope="col">${L('colLock')}</th><th scope="col">${L('colUpdated')}</th><th scope="col">${L('colActions')}</th></tr></thead>
<tbody>${d.policies.map((p) => html`<tr id="policy-${encodeURIComponent(p.name)}">
<td>${p.name}</td><td>${matchText(p.match, lang)}</td><td><code>${p.keep}</code></td><td>${p.lock ? L('locked') : L('unlocked')}</td>
<td>${when(p.updatedAt, lang)} <span class="muted">${p.updatedBy}</span></td>
<td><a href="/retention?edit=${encodeURIComponent(p.name)}#policy-form-h" aria-label="${L('edit')} ${p.name}">${L('edit')}</a>
${p.lock ? '' : html` <form method="post" action="/retention/policies/${encodeURIComponent(p.name)}/remove" class="inline">${csrfField(ctx.csrf)}<button type="submit" class="danger" aria-label="${L('remove')} ${p.name}">${L('remove')}</button></form>`}</td>
</tr>`)}</tbody></table></div>` : html`<p>${L('policiesNone')}</p>`}
</section>

<section aria-labelledby="policy-form-h">
<h2 id="policy-form-h">${d.editing ? L('formEdit', { name: f.name }) : L('formAdd')}</h2>
<form method="post" action="/retention/policies" class="stack narrow" aria-labelledby="policy-form-h">
  ${csrfField(ctx.csrf)}
  ${d.errorAt === 'policy' ? message(d.error) : ''}
  ${d.editing ? html`<div><label for="p-name">${L('name')}</label><input id="p-name" name="name" readonly value="${f.name}"></div>`
    : text('p-name', 'name', 'name', 'nameHint', ' required maxlength="64"')}
  ${text('p-keep', 'keep', 'keep', 'keepHint', ' required pattern="P.*" maxlength="40"')}
  <fieldset><legend>${L('matchLegend')}</legend>
  ${text('p-queue', 'queue', 'queue')}
  ${text('p-direction', 'direction', 'direction')}
  ${text('p-purpose', 'purpose', 'purpose')}
  ${text('p-tags', 'tags', 'tags')}
  ${text('p-consent', 'consent', 'consent')}
  </fieldset>
  <div><input type="checkbox" id="p-lock" name="lock" value="1"${f.lock ? raw(' checked') : ''}> <label for="p-lock">${L('lock')}</label></div>
  <button type="submit" class="primary">${L('save')}</button>
  ${d.editing ? html` <a href="/retention#policy-form-h">${L('cancel')}</a>` : ''}
</form>
</section>

<section aria-labelledby="purge-h">
<h2 id="purge-h">${L('purge')}</h2>
<p class="muted">${L('purgeIntro')}</p>
${d.clockHold ? html`<div class="note" role="alert" id="clock-hold"><p>${L('clockHeld', { since: fmtTime(iso(d.clockHold.since), lang), reason: d.clockHold.reason })}</p>
<form method="post" action="/retention/clock/confirm">${csrfField(ctx.csrf)}<button type="submit">${L('clockConfirm')}</button></form></div>` : ''}
<p><a href="/retention/dry-run">${L('dryRun')}</a></p>
<form method="post" action="/retention/purge" class="inline">${csrfField(ctx.csrf)}<button type="submit" class="danger">${L('runNow')}</button></form>
</section>

<section aria-labelledby="runs-h">
<h2 id="runs-h">${L('runs')}</h2>
${runsTable(ctx, d.runs)}
</section>`);
}

function reportLinks(run: PurgeRunView): Html | string {
  return run.report ? html`<a href="/retention/reports/${run.id}.json">JSON</a> · <a href="/retention/reports/${run.id}.csv">CSV</a>` : '–';
}

function runsTable(ctx: PageCtx, runs: PurgeRunView[]): Html {
  const lang = ctx.lang;
  const L = (k: Key) => retentionLabel(lang, k);
  if (!runs.length) return html`<p>${L('runsNone')}</p>`;
  return html`<div class="table-wrap"><table id="runs">
<thead><tr><th scope="col">${L('colRun')}</th><th scope="col">${L('colBy')}</th><th scope="col">${L('colStarted')}</th><th scope="col">${L('colState')}</th><th scope="col">${L('colPurged')}</th><th scope="col">${L('colHeld')}</th><th scope="col">${L('colReport')}</th></tr></thead>
<tbody>${runs.map((r) => html`<tr><td><a href="/retention/runs/${r.id}"><code>${r.id}</code></a></td><td>${r.by}</td><td>${when(r.startedAt, lang)}</td>
<td>${r.state}</td><td class="num">${r.purged}</td><td class="num">${r.held}</td><td>${reportLinks(r)}</td></tr>`)}</tbody></table></div>`;
}

export function dryRunPage(ctx: PageCtx, plan: PurgePlanView, holdNames: Record<string, string>, heldByPersonalHolds = 0): Html {
  const lang = ctx.lang;
  const L = (k: Key, v?: Record<string, string | number>) => retentionLabel(lang, k, v);
  const head = (hold: boolean) => html`<thead><tr><th scope="col">${L('colId')}</th><th scope="col">${L('colStart')}</th><th scope="col">${L('colPolicy')}</th><th scope="col">${L('colExpires')}</th>${hold ? html`<th scope="col">${L('colHold')}</th>` : ''}</tr></thead>`;
  const cells = (i: PurgePlanView['due'][number]) => html`<td><a href="/recordings/${i.id}"><code>${i.id}</code></a></td><td>${when(i.start, lang)}</td><td>${i.policy ?? '–'}</td><td>${when(i.expiresAt, lang)}</td>`;
  return layout(ctx, L('dryTitle'), html`
<p><a href="/retention">${L('back')}</a></p>
<p class="note">${L('dryAt', { at: fmtTime(iso(plan.now), lang) })}</p>
<section aria-labelledby="due-h">
<h2 id="due-h">${L('due', { n: plan.due.length })}</h2>
${plan.due.length ? html`<div class="table-wrap"><table id="due" aria-labelledby="due-h">${head(false)}
<tbody>${plan.due.map((i) => html`<tr data-id="${i.id}">${cells(i)}</tr>`)}</tbody></table></div>` : html`<p>${L('dueNone')}</p>`}
</section>
<section aria-labelledby="held-h">
<h2 id="held-h">${L('held', { n: plan.held.length })}</h2>
${plan.held.length ? html`<div class="table-wrap"><table id="held" aria-labelledby="held-h">${head(true)}
<tbody>${plan.held.map((i) => html`<tr data-id="${i.id}">${cells(i)}<td><a href="/holds#hold-${i.hold}"><code>${i.hold}</code></a>${holdNames[i.hold] ? html` ${holdNames[i.hold]}` : ''}</td></tr>`)}</tbody></table></div>` : html`<p>${L('heldNone')}</p>`}
${heldByPersonalHolds ? html`<p class="muted" id="held-masked">${L('heldMasked', { n: heldByPersonalHolds })}</p>` : ''}
</section>
<form method="post" action="/retention/purge">${csrfField(ctx.csrf)}<button type="submit" class="danger">${L('runNow')}</button></form>`);
}

/** What the report JSON of a run holds (written by src/retention/purge.ts). */
export interface RunReport {
  recordings: { id: string; start: string; policy: string | null; expiresAt: string | null; purgedAt: string }[];
  held: { id: string; hold: string; policy: string | null; expiresAt: string }[];
}

export function runPage(ctx: PageCtx, run: PurgeRunView, report: RunReport | null, skipped: { id: string; why: string }[] = []): Html {
  const lang = ctx.lang;
  const L = (k: Key, v?: Record<string, string | number>) => retentionLabel(lang, k, v);
  return layout(ctx, L('runTitle', { id: run.id }), html`
<p><a href="/retention">${L('back')}</a></p>
<p role="status" id="run-summary">${L('runSummary', { purged: run.purged, held: run.held })}</p>
<dl class="meta">
<dt>${L('colBy')}</dt><dd>${run.by}</dd>
<dt>${L('colStarted')}</dt><dd>${when(run.startedAt, lang)}</dd>
<dt>${L('colState')}</dt><dd>${run.state}</dd>
${run.report ? html`<dt>${L('runSha')}</dt><dd><code>${run.report.sha256}</code></dd>` : ''}
</dl>
${run.report ? html`<p>${L('runReport')} ${reportLinks(run)}</p>` : html`<p class="muted">${L('runNoReport')}</p>`}
${report?.recordings.length ? html`<h2 id="purged-h">${L('runPurgedList')}</h2><div class="table-wrap"><table id="purged" aria-labelledby="purged-h">
<thead><tr><th scope="col">${L('colId')}</th><th scope="col">${L('colStart')}</th><th scope="col">${L('colPolicy')}</th><th scope="col">${L('colExpires')}</th></tr></thead>
<tbody>${report.recordings.map((r) => html`<tr><td><code>${r.id}</code></td><td>${r.start}</td><td>${r.policy ?? '–'}</td><td>${r.expiresAt ?? '–'}</td></tr>`)}</tbody></table></div>` : ''}
${report?.held.length ? html`<h2 id="kept-h">${L('runHeldList')}</h2><ul id="kept">${report.held.map((h) => html`<li><a href="/recordings/${h.id}"><code>${h.id}</code></a> · <a href="/holds#hold-${h.hold}"><code>${h.hold}</code></a></li>`)}</ul>` : ''}
${skipped.length ? html`<ul class="muted">${skipped.map((s) => html`<li><code>${s.id}</code>: ${s.why}</li>`)}</ul>` : ''}`);
}

/** The recording page's "Retention" section (src/web/routes/recordings.ts fills it in). */
export interface RecordingRetention {
  id: string;
  policy: string | null;
  expiresAt: number | null;
  due: boolean;
  /** ingested while the clock was suspect: no expiry until an admin confirms the time */
  awaitingClock?: boolean;
  /** the hold keeping it; the case name only for holds.manage */
  hold: { id: string; caseName: string | null } | null;
  /** holds by number or agent are left out for this viewer (a masked page) */
  holdsMasked?: boolean;
  canRequestDelete: boolean;
  /** a pending early-deletion request for this recording */
  pendingDeletion: string | null;
}

export function retentionSection(ctx: PageCtx, r: RecordingRetention): Html {
  const lang = ctx.lang;
  const L = (k: Key, v?: Record<string, string | number>) => retentionLabel(lang, k, v);
  return html`<section aria-labelledby="h-retention" id="retention">
<h2 id="h-retention">${L('secTitle')}</h2>
<dl class="meta">
<dt>${L('secPolicy')}</dt><dd>${r.policy ?? L('secNoPolicy')}</dd>
<dt>${L('secExpires')}</dt><dd>${r.awaitingClock ? L('secAwaitingClock') : r.expiresAt === null ? L('secNever') : when(r.expiresAt, lang)}${r.due ? html` <strong>(${L('secDue')})</strong>` : ''}</dd>
<dt>${L('secHold')}</dt><dd>${r.hold ? html`${L('secHeld')}${r.hold.caseName !== null ? html`: <a href="/holds#hold-${r.hold.id}">${r.hold.caseName}</a>` : ''}` : L('secNoHold')}</dd>
</dl>
${r.holdsMasked ? html`<p class="muted">${L('secHoldsMasked')}</p>` : ''}
${r.pendingDeletion ? html`<p class="note">${L('secPending', { id: r.pendingDeletion })}</p>` : r.canRequestDelete ? html`
<h3 id="h-delete">${L('secDeleteTitle')}</h3>
<form method="post" action="/holds/deletions" class="stack narrow" aria-labelledby="h-delete">${csrfField(ctx.csrf)}
  <input type="hidden" name="ids" value="${r.id}"><input type="hidden" name="back" value="recording">
  <p class="muted">${L('secDeleteNote')}</p>
  <div><label for="delete-reason">${L('secReason')}</label><textarea id="delete-reason" name="reason" rows="2" maxlength="2000" required></textarea></div>
  <button type="submit" class="danger">${L('secRequest')}</button>
</form>` : ''}
</section>`;
}
