import { html, raw } from 'hono/html';
import type { RecordingView, SearchFields } from '../src/core/types.ts';
import { actionCell } from './action-cell.ts';
import { consentMethod } from './labels/common.ts';
import { csrfField, fmtDuration, fmtTime, layout, type Html, type PageCtx } from './layout.ts';
import { retentionSection, type RecordingRetention } from './retention.ts';
import { rightsSection, type RightsSectionView } from './rights.ts';

interface LogLine {
  seq: number;
  time: string;
  actor: string;
  action: string;
  detail: Record<string, unknown>;
}

function opt(value: string, label: string, current: string): Html {
  return html`<option value="${value}"${current === value ? html` selected` : ''}>${label}</option>`;
}

function personal(ctx: PageCtx, v: string | null, masked: boolean | undefined): Html {
  if (masked) return html`<span class="muted" title="${ctx.t('search.masked')}">${ctx.t('common.hidden')}</span>`;
  return html`${v ?? '–'}`;
}

/**
 * The search form: results follow the filters (htmx: selects and dates on change, text
 * fields on Enter — not on every keystroke, since each search is a logged access, and a
 * half-typed number would be logged as a search too), and the URL follows the results,
 * so a search can be bookmarked or sent to a colleague.
 */
export function searchPage(ctx: PageCtx, f: SearchFields, results: Html): Html {
  const { t } = ctx;
  const live = raw('hx-get="/recordings" hx-include="#search" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true"');
  return layout(ctx, t('search.title'), html`
<form method="get" action="/recordings" class="filters" role="search" id="search"
  hx-get="/recordings" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true">
  <div><label for="f-from">${t('search.from')}</label><input id="f-from" name="from" type="date" value="${f.from}" ${live}></div>
  <div><label for="f-to">${t('search.to')}</label><input id="f-to" name="to" type="date" value="${f.to}" ${live}></div>
  <div><label for="f-number">${t('search.number')}</label><input id="f-number" name="number" type="search" inputmode="tel" autocomplete="off" value="${f.number}"></div>
  <div><label for="f-agent">${t('search.agent')}</label><input id="f-agent" name="agent" type="search" autocomplete="off" value="${f.agent}" placeholder="${t('search.agentHint')}" title="${t('search.agentHint')}"></div>
  <div><label for="f-customer">${t('search.customerId')}</label><input id="f-customer" name="customerId" type="search" autocomplete="off" value="${f.customerId}"></div>
  <div><label for="f-tag">${t('search.tag')}</label><input id="f-tag" name="tag" type="search" autocomplete="off" value="${f.tag}"></div>
  <div><label for="f-purpose">${t('search.purpose')}</label><input id="f-purpose" name="purpose" type="search" autocomplete="off" value="${f.purpose}"></div>
  <div><label for="f-queue">${t('search.queue')}</label><input id="f-queue" name="queue" type="search" autocomplete="off" value="${f.queue}"></div>
  <div><label for="f-direction">${t('search.direction')}</label><select id="f-direction" name="direction" ${live}>
    ${opt('', t('search.any'), f.direction)}${opt('in', t('dir.in'), f.direction)}${opt('out', t('dir.out'), f.direction)}${opt('internal', t('dir.internal'), f.direction)}
  </select></div>
  <div><label for="f-consent">${t('search.consent')}</label><select id="f-consent" name="consent" ${live}>
    ${opt('', t('search.any'), f.consent)}${opt('granted', t('consent.granted'), f.consent)}${opt('denied', t('consent.denied'), f.consent)}${opt('unknown', t('consent.unknown'), f.consent)}
  </select></div>
  <div><label for="f-min">${t('search.minDuration')}</label><input id="f-min" name="minDuration" type="number" min="0" step="1" value="${f.minDuration}"></div>
  <div><label for="f-max">${t('search.maxDuration')}</label><input id="f-max" name="maxDuration" type="number" min="0" step="1" value="${f.maxDuration}"></div>
  <div><button type="submit" class="primary">${t('search.submit')}</button> <span class="busy htmx-indicator" aria-hidden="true">…</span></div>
</form>
${results}`);
}

/** One page of search results as the route hands it over. */
export interface ResultsView {
  items: RecordingView[];
  /** true when the page stopped at the scan budget, not at the end of the range */
  partial: boolean;
  /** whether numbers and names are hidden for this principal */
  masked: boolean;
  /** the query string of the next (older) page, or null at the end */
  more: string | null;
}

export function resultsFragment(ctx: PageCtx, f: SearchFields, r: ResultsView | { error: string }): Html {
  const { t } = ctx;
  if ('error' in r) return html`<section id="results" aria-live="polite"><p class="error" role="alert">${r.error}</p></section>`;
  const last = r.items[r.items.length - 1];
  return html`<section id="results" aria-live="polite">
${r.masked ? html`<p class="note">${t('search.masked')}</p>` : ''}
${r.items.length === 0 && !r.partial ? html`<p>${t('search.none')}</p>` : html`
<div class="table-wrap"><table>
<thead><tr><th scope="col">${t('col.start')}</th><th scope="col">${t('col.duration')}</th><th scope="col">${t('col.direction')}</th>
<th scope="col">${t('col.from')}</th><th scope="col">${t('col.to')}</th><th scope="col" class="hide-narrow">${t('col.agent')}</th>
<th scope="col" class="hide-narrow">${t('col.queue')}</th><th scope="col" class="hide-narrow">${t('col.consent')}</th></tr></thead>
<tbody>
${r.items.map((v) => html`<tr data-id="${v.id}"${v.restricted?.length ? raw(' class="restricted"') : ''}>
<td><a href="/recordings/${v.id}">${fmtTime(v.start, ctx.lang)}</a>${v.restricted?.length ? html` <span class="badge restricted" data-restricted="${v.restricted.join(' ')}" title="${t('search.restrictedHint')}">${t('search.restricted')}</span>` : ''}</td>
<td class="num">${fmtDuration(v.durationMs)}</td>
<td>${t(`dir.${v.direction}` as never)}</td>
<td>${personal(ctx, v.from, v.masked)}</td>
<td>${personal(ctx, v.to, v.masked)}</td>
<td class="hide-narrow">${personal(ctx, v.agent, v.masked)}</td>
<td class="hide-narrow">${v.queue ?? '–'}</td>
<td class="hide-narrow">${t(`consent.${v.consent.state}` as never)}</td>
</tr>`)}
</tbody></table></div>`}
${r.more ? html`<p>${r.partial ? html`<span class="muted">${t('search.partial', { date: last ? fmtTime(last.start, ctx.lang) : '…' })}</span> ` : ''}
<a href="/recordings${r.more}" hx-get="/recordings${r.more}" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true">${t('search.more')}</a></p>` : ''}
</section>`;
}

/** An advisory speech finding as the page shows it (src/speech/review.ts Finding). */
export interface FindingLine {
  id: string;
  phrase: string;
  text: string | null;
  kind: 'agree' | 'object';
  offsetMs: number;
  confidence: number;
  engine: string;
  modelSha256: string | null;
  status: 'open' | 'confirmed' | 'dismissed';
  decidedBy: string | null;
}

/**
 * The findings for a dpo or supervisor (issue 12 #5): each with a confirm and a dismiss
 * form (POST, CSRF token); a confirmed objection offers the objection request (a dpo's).
 */
function findingsSection(ctx: PageCtx, id: string, findings: readonly FindingLine[], o: { canRequest: boolean }): Html {
  const { t } = ctx;
  const status = (f: FindingLine) => f.status === 'open' ? t('rec.findingOpen') : t(f.status === 'confirmed' ? 'rec.findingConfirmed' : 'rec.findingDismissed', { who: f.decidedBy ?? '?' });
  const action = (f: FindingLine, what: 'confirm' | 'dismiss') => html`<form method="post" action="/recordings/${id}/findings/${f.id}/${what}" class="inline">${csrfField(ctx.csrf)}<button type="submit"${what === 'confirm' ? html` class="primary"` : ''}>${t(what === 'confirm' ? 'rec.findingConfirm' : 'rec.findingDismiss')}</button></form>`;
  const objection = (f: FindingLine) => f.kind !== 'object' || f.status !== 'confirmed' ? '' : o.canRequest
    ? html`<p class="note">${t('rec.findingObjectionOffer')}</p><form method="post" action="/recordings/${id}/findings/${f.id}/objection-request" class="inline">${csrfField(ctx.csrf)}<button type="submit">${t('rec.findingObjectionOpen')}</button></form>`
    : html`<p class="note">${t('rec.findingObjectionDpo')}</p>`;
  return html`<section aria-labelledby="h-findings" id="findings"><h2 id="h-findings">${t('rec.findings')}</h2>
<p class="note">${t('rec.findingsIntro')}</p>
<div class="table-wrap"><table id="speech-findings">
<thead><tr><th scope="col">${t('rec.findingPhrase')}</th><th scope="col">${t('rec.findingKind')}</th><th scope="col">${t('rec.findingOffset')}</th><th scope="col">${t('rec.findingConfidence')}</th><th scope="col">${t('rec.findingEngine')}</th><th scope="col">${t('rec.findingStatus')}</th></tr></thead>
<tbody>${findings.map((f) => html`<tr data-finding="${f.id}">
<td>${f.text ? html`„${f.text}“ ` : ''}<code>${f.phrase}</code></td>
<td>${t(f.kind === 'object' ? 'rec.findingObject' : 'rec.findingAgree')}</td>
<td class="num">${(f.offsetMs / 1000).toFixed(2)} s</td>
<td class="num">${f.confidence.toFixed(3)}</td>
<td>${f.engine}${f.modelSha256 ? html` <code title="${f.modelSha256}">${f.modelSha256.slice(0, 12)}…</code>` : ''}</td>
<td>${status(f)}${f.status === 'open' ? html` ${action(f, 'confirm')} ${action(f, 'dismiss')}` : ''}${objection(f)}</td>
</tr>`)}</tbody></table></div></section>`;
}

export function recordingPage(ctx: PageCtx, v: RecordingView, o: { canAudio: boolean; log: LogLine[] | null; retention?: RecordingRetention; findings?: readonly FindingLine[] | null; canRequest?: boolean; rights?: RightsSectionView }): Html {
  const { t } = ctx;
  const stored = v.storedFormat.replace(/^original:/, '');
  const row = (k: string, val: Html | string | number | null) => html`<dt>${k}</dt><dd>${val ?? '–'}</dd>`;
  return layout(ctx, `${t('rec.title')} ${fmtTime(v.start, ctx.lang)}`, html`
<section aria-labelledby="h-play" class="stack">
<h2 id="h-play">${t('rec.play')}</h2>
${o.canAudio ? html`
<audio controls preload="none" src="/recordings/${v.id}/audio" aria-label="${t('rec.play')}"></audio>
<p><a href="/recordings/${v.id}/download?format=stored" download>${t('rec.downloadStored', { fmt: stored })}</a> ·
<a href="/recordings/${v.id}/download?format=wav" download>${t('rec.downloadWav')}</a></p>` : html`<p class="note">${t('rec.noAudio')}</p>`}
</section>
<section aria-labelledby="h-details">
<h2 id="h-details">${t('rec.details')}</h2>
${v.masked ? html`<p class="note">${t('search.masked')}</p>` : ''}
<dl class="meta">
${row('ID', html`<code>${v.id}</code>`)}
${row(t('col.start'), fmtTime(v.start, ctx.lang))}
${row(t('col.duration'), fmtDuration(v.durationMs))}
${row(t('col.direction'), t(`dir.${v.direction}` as never))}
${row(t('col.from'), personal(ctx, v.from, v.masked))}
${row(t('col.to'), personal(ctx, v.to, v.masked))}
${row(t('col.agent'), personal(ctx, v.agent, v.masked))}
${row(t('col.queue'), v.queue)}
${row(t('col.callId'), personal(ctx, v.callId, v.masked))}
${row(t('col.consent'), t(`consent.${v.consent.state}` as never))}
${row(t('col.purpose'), v.purpose)}
${row(t('col.tags'), v.tags.join(', ') || null)}
${row(t('col.format'), t('rec.format', { fmt: stored, ch: v.channels, hz: v.sampleRate, kib: (v.storedBytes / 1024).toFixed(0) }))}
${row('SHA-256', html`<code>${v.sourceSha256}</code>`)}
${row(t('col.ingested'), fmtTime(v.ingestedAt, ctx.lang))}
</dl>
</section>
${!v.masked ? html`<section aria-labelledby="h-consent"><h2 id="h-consent">${t('rec.consentEvidence')}</h2>
<dl class="meta">${row(t('col.consent'), t(`consent.${v.consent.state}` as never))}${row(t('rec.consentMethod'), v.consent.method ? consentMethod(t, v.consent.method) : null)}${row(t('rec.consentAt'), v.consent.at ?? null)}${row(t('rec.consentEvidenceText'), v.consent.evidence ?? null)}${(v.consentEvidence ?? []).map((e) => row(consentMethod(t, e.method), `${t(`consent.${e.state}` as never)}${e.at ? ` · ${e.at}` : ''}${e.offsetMs !== null ? ` · ${(e.offsetMs / 1000).toFixed(2)} s` : ''}${e.promptVersion ? ` · ${t('rec.prompt')} ${e.promptVersion}` : ''}${e.source ? ` · ${e.source}` : ''}${e.evidence !== null && e.evidence !== undefined ? ` · ${JSON.stringify(e.evidence)}` : ''}`))}</dl></section>` : ''}
${o.findings?.length ? findingsSection(ctx, v.id, o.findings, { canRequest: !!o.canRequest }) : ''}
${o.retention ? retentionSection(ctx, o.retention) : ''}
${o.rights ? rightsSection(ctx, o.rights) : ''}
${o.log ? html`<section aria-labelledby="h-log">
<h2 id="h-log">${t('rec.log')}</h2>
<div class="table-wrap"><table id="recording-log">
<thead><tr><th scope="col">#</th><th scope="col">${t('log.time')}</th><th scope="col">${t('log.actor')}</th><th scope="col">${t('log.action')}</th><th scope="col">${t('log.detail')}</th></tr></thead>
<tbody>${o.log.map((e) => html`<tr><td class="num">${e.seq}</td><td><time datetime="${e.time}" title="${e.time}">${fmtTime(e.time, ctx.lang)}</time></td><td>${e.actor}</td><td>${actionCell(ctx.lang, e.action)}</td><td><code>${JSON.stringify(e.detail)}</code></td></tr>`)}</tbody>
</table></div>
</section>` : ''}`);
}
