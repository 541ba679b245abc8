import { html } from 'hono/html';
import type { Lang } from './i18n.ts';
import { dashboardLabels, type DashboardLabel } from './labels/dashboard.ts';
import { csrfField, fmtTime, layout, type Html, type PageCtx } from './layout.ts';
import { messageIn } from './messages.ts';
import { breachClock, type BreachSummary } from './breaches.ts';
import { breachesLabels } from './labels/breaches.ts';

type Key = DashboardLabel;
export const DONE_KEYS = Object.keys(dashboardLabels.tables.en).filter((k) => k.startsWith('done.')).map((k) => k.slice(5));

function lbl(lang: Lang) {
  return dashboardLabels.for(lang);
}

export function fmtBytes(n: number, lang: Lang): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toLocaleString(lang === 'de' ? 'de-DE' : 'en-GB', { maximumFractionDigits: i === 0 ? 0 : 1 })} ${units[i]}`;
}

export interface QuarantineItem {
  id: string;
  code: string;
  message: string;
  quarantinedAt: number;
  sourceBytes: number;
  attempts: number;
  /** which call it is (from its name and sidecar): no personal data */
  call: { start: number | null; startFromMtime: boolean; direction: string; queue: string | null } | null;
  /** numbers and names: only for roles that see personal data, on request, after a log entry */
  personal: { from: string | null; to: string | null; agent: string | null; sourceName: string } | null;
  /** requester actor of a pending discard, if any */
  discardRequestedBy: string | null;
}

export interface LiveData {
  scannerRunning: boolean;
  queued: number;
  active: number;
  lastHour: number;
  lastDay: number;
  lastIngestAt: number | null;
  total: number;
  disk: { freeBytes: number; totalBytes: number } | null;
  growth: { bytesPerDay: number | null; windowDays: number; daysLeft: number | null };
  checkpoint: { size: number; until: string | null } | null;
  /** days since a checkpoint was last handed out (null: never), when over log.handOutDays; else absent */
  handOutOverdue?: { days: number | null; limit: number };
  logSize: number;
  rejected: { code: string; ref: string; at: number }[];
  /** files left in the inbox for now (disk full, time-out): one row per file */
  deferred: { code: string; ref: string; message: string; since: number }[];
  quarantined: number;
  pendingApprovals: number;
}

/** An alert not cleared yet (src/alerts): rule, severity and counts; the subject only for roles that may see it. */
export interface AlertItem {
  id: string;
  rule: string;
  severity: string;
  state: string;
  raisedAt: number;
  subject: string | null;
  detail: string;
  acknowledgedBy: string | null;
}

export interface DashboardData {
  /** issue 14: open alerts and failing channels; absent where alerting is not wired */
  /** issue 14 item 4: open breaches waiting for a notice, with their 72-hour clock (dpo only) */
  breaches?: BreachSummary[];
  alerts?: { items: AlertItem[]; canAck: boolean; failedChannels: { name: string; error: string }[] };
  live: LiveData;
  quarantine: QuarantineItem[];
  quarantineTotal: number;
  canManage: boolean;
  /** the viewer's roles see personal data (offer to show numbers and names) */
  canSeePersonal: boolean;
  showingPersonal: boolean;
  done?: string;
  error?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The polled part: swapped in place every 10 s (hx-target/hx-swap on the element itself: no inheritance in htmx 4). */
export function liveFragment(ctx: PageCtx, d: LiveData): Html {
  const t = lbl(ctx.lang);
  const num = (n: number) => n.toLocaleString(ctx.lang === 'de' ? 'de-DE' : 'en-GB');
  const g = d.growth;
  let forecast: Html | string;
  if (g.bytesPerDay === null) forecast = t('notEnough');
  else if (g.daysLeft === null) forecast = t('noGrowth');
  else forecast = g.daysLeft > 3650 ? t('daysLeftMore', { days: num(3650) }) : t('daysLeft', { days: num(Math.floor(g.daysLeft)) });
  return html`<section id="live" aria-labelledby="live-h" hx-get="/" hx-trigger="every 10s" hx-target="this" hx-swap="outerHTML">
<h2 id="live-h">${t('live')} <small class="muted">${t('refresh')}</small></h2>
<div class="cards">
  <div class="card" id="card-queue"><h3>${t('queue')}</h3>
    <p class="big"><span data-k="queued">${num(d.queued)}</span> ${t('queued')} · <span data-k="active">${num(d.active)}</span> ${t('active')}</p>
    ${d.scannerRunning ? '' : html`<p class="error" role="alert">${t('scannerStopped')}</p>`}</div>
  <div class="card" id="card-rate"><h3>${t('rate')}</h3>
    <p><span class="big" data-k="last-hour">${num(d.lastHour)}</span> ${t('lastHour')} · <span class="big" data-k="last-day">${num(d.lastDay)}</span> ${t('lastDay')}</p>
    <p>${t('lastIngest')}: ${d.lastIngestAt === null ? t('never') : html`<time datetime="${iso(d.lastIngestAt)}" data-k="last-ingest">${fmtTime(iso(d.lastIngestAt), ctx.lang)}</time>`}</p>
    <p>${t('total')}: <span data-k="total">${num(d.total)}</span></p></div>
  <div class="card" id="card-disk"><h3>${t('disk')}</h3>
    ${d.disk ? html`<p><span class="big" data-k="disk-free">${fmtBytes(d.disk.freeBytes, ctx.lang)}</span> ${t('diskOf', { total: fmtBytes(d.disk.totalBytes, ctx.lang) })}</p>` : html`<p>${t('diskUnknown')}</p>`}
    <p data-k="forecast">${forecast}</p>
    ${g.bytesPerDay !== null ? html`<p class="muted">${t('growth', { rate: fmtBytes(g.bytesPerDay, ctx.lang), days: g.windowDays.toFixed(1) })}</p>` : ''}</div>
  <div class="card" id="card-checkpoint"><h3>${t('checkpoint')}</h3>
    ${d.checkpoint ? html`<p class="big" data-k="checkpoint-size">${t('checkpointSize', { size: num(d.checkpoint.size) })}</p>
      ${d.checkpoint.until ? html`<p>${t('checkpointUntil', { time: fmtTime(d.checkpoint.until, ctx.lang) })}</p>` : ''}` : html`<p>${t('checkpointNone')}</p>`}
    <p class="muted">${t('logSize', { size: num(d.logSize) })}</p>
    ${d.handOutOverdue ? html`<p class="warn" role="status" data-k="hand-out">${d.handOutOverdue.days === null ? t('handOutNever') : t('handOutDays', { days: num(d.handOutOverdue.days) })} ${t('handOutHow')}</p>` : ''}</div>
  <div class="card" id="card-quarantine"><h3>${t('quarantine')}</h3><p class="big" data-k="quarantined">${num(d.quarantined)}</p>
    ${d.pendingApprovals ? html`<p><a href="/approvals">${t('approvalsPending', { n: d.pendingApprovals })}</a></p>` : ''}</div>
</div>
<h3 id="errors-h">${t('errors')}</h3>
${d.rejected.length === 0 ? html`<p>${t('errorsNone')}</p>` : html`<div class="table-wrap"><table aria-labelledby="errors-h" id="rejected">
  <thead><tr><th scope="col">${t('colTime')}</th><th scope="col">${t('colCode')}</th><th scope="col">${t('colRef')}</th></tr></thead>
  <tbody>${d.rejected.slice(-20).reverse().map((r) => html`<tr><td><time datetime="${iso(r.at)}">${fmtTime(iso(r.at), ctx.lang)}</time></td><td><code>${r.code}</code></td><td><code>${r.ref}</code></td></tr>`)}</tbody>
</table></div><p class="muted">${t('errorsNote')}</p>`}
${d.deferred.length === 0 ? '' : html`<h3 id="waiting-h">${t('waiting')}</h3><div class="table-wrap"><table aria-labelledby="waiting-h" id="deferred">
  <thead><tr><th scope="col">${t('colSince')}</th><th scope="col">${t('colCode')}</th><th scope="col">${t('colReason')}</th><th scope="col">${t('colRef')}</th></tr></thead>
  <tbody>${d.deferred.slice(0, 50).map((r) => html`<tr><td><time datetime="${iso(r.since)}">${fmtTime(iso(r.since), ctx.lang)}</time></td><td><code>${r.code}</code></td><td>${messageIn(ctx.lang, r.message).text}</td><td><code>${r.ref}</code></td></tr>`)}</tbody>
</table></div>`}
</section>`;
}

export function dashboardPage(ctx: PageCtx, d: DashboardData): Html {
  const t = lbl(ctx.lang);
  const doneMsg = d.done && DONE_KEYS.includes(d.done) ? t(`done.${d.done}` as Key) : null;
  return layout(ctx, t('title'), html`
${doneMsg ? html`<p class="note" role="status" id="done">${doneMsg}</p>` : ''}
${d.error ? html`<p class="error" role="alert" id="action-error">${d.error}</p>` : ''}
${d.breaches?.length ? html`<section aria-labelledby="breach-h" id="breach-clocks"><h2 id="breach-h">${breachesLabels.get(ctx.lang, 'timer')}</h2><ul>${d.breaches.map((b) => html`<li class="${b.msLeft !== null && b.msLeft < 0 ? 'overdue' : ''}"><a href="/privacy/breaches/${b.id}">${b.id}</a>: ${breachClock(ctx, b)}</li>`)}</ul></section>` : ''}
${d.alerts ? alertsSection(ctx, d.alerts) : ''}
<p><a href="/charts" id="charts-link">${t('charts')}</a></p>
${liveFragment(ctx, d.live)}
<section aria-labelledby="q-h">
<h2 id="q-h">${t('quarantine')}</h2>
<p><a href="/approvals">${t('approvals')}</a></p>
${d.quarantine.length === 0 ? html`<p>${t('quarantineNone')}</p>` : html`
${d.quarantineTotal > d.quarantine.length ? html`<p class="muted">${t('quarantineMore', { n: d.quarantine.length, total: d.quarantineTotal })}</p>` : ''}
${d.canSeePersonal && d.quarantine.length ? (d.showingPersonal ? html`<p class="note">${t('personalShown')}</p>` : html`<p><a href="/?quarantine=personal">${t('showPersonal')}</a></p>`) : ''}
<div class="table-wrap"><table aria-labelledby="q-h" id="quarantine">
<thead><tr>${d.canManage ? html`<th scope="col">${t('select')}</th>` : ''}<th scope="col">${t('colTime')}</th><th scope="col">${t('colCall')}</th><th scope="col">${t('colCode')}</th><th scope="col">${t('colReason')}</th>
<th scope="col">${t('colSize')}</th><th scope="col">${t('colAttempts')}</th>${d.canManage ? html`<th scope="col">${t('colActions')}</th>` : ''}</tr></thead>
<tbody>${d.quarantine.map((q) => quarantineRow(ctx, d.canManage, q))}</tbody>
</table></div>
${d.canManage ? html`<form method="post" action="/quarantine/discard" id="discard-selected" class="stack">${csrfField(ctx.csrf)}
  <p class="muted">${t('discardSelectedNote')}</p>
  <label for="reason-selected">${t('discardReason')}</label>
  <input id="reason-selected" name="reason" required maxlength="2000">
  <button type="submit" class="danger">${t('discardSelected')}</button>
</form>` : ''}`}
</section>`);
}

function alertsSection(ctx: PageCtx, a: NonNullable<DashboardData['alerts']>): Html {
  const t = lbl(ctx.lang);
  return html`<section aria-labelledby="alerts-h" id="alerts">
<h2 id="alerts-h">${t('alerts')}</h2>
${a.failedChannels.map((f) => html`<p class="error" role="alert">${t('alertChannelFailed', { name: f.name, error: f.error })}</p>`)}
${a.items.length === 0 ? html`<p>${t('alertsNone')}</p>` : html`<div class="table-wrap"><table aria-labelledby="alerts-h">
<thead><tr><th scope="col">${t('colTime')}</th><th scope="col">${t('colSeverity')}</th><th scope="col">${t('colRule')}</th><th scope="col">${t('colSubject')}</th><th scope="col">${t('colDetail')}</th><th scope="col">${t('colActions')}</th></tr></thead>
<tbody>${a.items.map((i) => html`<tr id="alert-${i.id}" data-severity="${i.severity}">
<td><time datetime="${iso(i.raisedAt)}">${fmtTime(iso(i.raisedAt), ctx.lang)}</time></td>
<td class="${i.severity === 'critical' ? 'error' : i.severity === 'warning' ? 'warn' : ''}">${i.severity}</td>
<td><code>${i.rule}</code></td><td>${i.subject ?? '–'}</td><td>${i.detail}</td>
<td>${i.state === 'acknowledged' ? html`<span class="muted">${t('alertAckedBy', { by: i.acknowledgedBy ?? '' })}</span>`
    : a.canAck ? html`<form method="post" action="/alerts/${i.id}/ack">${csrfField(ctx.csrf)}<button type="submit">${t('alertAck')}</button></form>` : ''}</td>
</tr>`)}</tbody></table></div>`}
</section>`;
}

function callCell(ctx: PageCtx, q: QuarantineItem): Html {
  const t = lbl(ctx.lang);
  const c = q.call;
  const p = q.personal;
  const when = c?.start != null
    ? html`<time datetime="${iso(c.start)}" data-k="call-start">${fmtTime(iso(c.start), ctx.lang)}</time>${c.startFromMtime ? html` <span class="muted">${t('fromMtime')}</span>` : ''}`
    : html`${t('callUnknown')}`;
  return html`<td>${when}${c ? html` · <span data-k="call-direction">${c.direction}</span>${c.queue ? html` · ${t('queueLabel', { queue: c.queue })}` : ''}` : ''}${p
    ? html`<br><span data-k="call-personal">${p.from ?? '–'} → ${p.to ?? '–'}${p.agent ? html` · ${p.agent}` : ''}</span><br><small class="muted">${p.sourceName}</small>`
    : ''}</td>`;
}

function quarantineRow(ctx: PageCtx, canManage: boolean, q: QuarantineItem): Html {
  const t = lbl(ctx.lang);
  const at = iso(q.quarantinedAt);
  return html`<tr id="q-${q.id}">
${canManage ? html`<td>${q.discardRequestedBy ? '' : html`<input type="checkbox" name="ids" value="${q.id}" form="discard-selected" aria-label="${t('select')} ${q.id}">`}</td>` : ''}
<td><time datetime="${at}">${fmtTime(at, ctx.lang)}</time></td>
${callCell(ctx, q)}
<td><code>${q.code}</code></td>
<td>${messageIn(ctx.lang, q.message).text}</td>
<td class="num">${fmtBytes(q.sourceBytes, ctx.lang)}</td>
<td class="num">${q.attempts}</td>
${canManage ? html`<td>
  <form method="post" action="/quarantine/${q.id}/retry" class="stack">${csrfField(ctx.csrf)}
    <details><summary>${t('retryWith')}</summary>
      <textarea id="sidecar-${q.id}" name="sidecar" rows="4" maxlength="65536" spellcheck="false" aria-label="${t('retryWith')}"></textarea>
    </details>
    <button type="submit">${t('retry')}</button>
  </form>
  ${q.discardRequestedBy ? html`<p class="muted">${t('discardPending', { by: q.discardRequestedBy })}</p>` : html`
  <form method="post" action="/quarantine/${q.id}/discard" class="stack">${csrfField(ctx.csrf)}
    <label for="reason-${q.id}">${t('discardReason')}</label>
    <input id="reason-${q.id}" name="reason" required maxlength="2000">
    <button type="submit" class="danger">${t('discard')}</button>
  </form>`}
</td>` : ''}
</tr>`;
}
