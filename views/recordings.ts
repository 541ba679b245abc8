import { html, raw } from 'hono/html';
import type { RecordingView, SearchFields } from '../src/core/types.ts';
import { fmtDuration, fmtTime, layout, type Html, type PageCtx } from './layout.ts';
import { retentionSection, type RecordingRetention } from './retention.ts';

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
${r.items.map((v) => html`<tr>
<td><a href="/recordings/${v.id}">${fmtTime(v.start, ctx.lang)}</a></td>
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

export function recordingPage(ctx: PageCtx, v: RecordingView, o: { canAudio: boolean; log: LogLine[] | null; retention?: RecordingRetention }): Html {
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
${row('Call ID', personal(ctx, v.callId, v.masked))}
${row(t('col.consent'), t(`consent.${v.consent.state}` as never))}
${row('Purpose', v.purpose)}
${row('Tags', v.tags.join(', ') || null)}
${row('Format', `${stored}, ${v.channels} ch, ${v.sampleRate} Hz, ${(v.storedBytes / 1024).toFixed(0)} KiB`)}
${row('SHA-256', html`<code>${v.sourceSha256}</code>`)}
${row('Ingested', fmtTime(v.ingestedAt, ctx.lang))}
</dl>
</section>
${!v.masked ? html`<section aria-labelledby="h-consent"><h2 id="h-consent">${t('rec.consentEvidence')}</h2>
<dl class="meta">${row(t('col.consent'), t(`consent.${v.consent.state}` as never))}${row('Method', v.consent.method ?? null)}${row('At', v.consent.at ?? null)}${row('Evidence', v.consent.evidence ?? null)}${(v.consentEvidence ?? []).map((e) => row(`${e.method}`, `${t(`consent.${e.state}` as never)}${e.at ? ` · ${e.at}` : ''}${e.offsetMs !== null ? ` · ${(e.offsetMs / 1000).toFixed(2)} s` : ''}${e.promptVersion ? ` · prompt ${e.promptVersion}` : ''}${e.source ? ` · ${e.source}` : ''}${e.evidence !== null && e.evidence !== undefined ? ` · ${JSON.stringify(e.evidence)}` : ''}`))}</dl></section>` : ''}
${o.retention ? retentionSection(ctx, o.retention) : ''}
${o.log ? html`<section aria-labelledby="h-log">
<h2 id="h-log">${t('rec.log')}</h2>
<div class="table-wrap"><table id="recording-log">
<thead><tr><th scope="col">#</th><th scope="col">Time (UTC)</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Detail</th></tr></thead>
<tbody>${o.log.map((e) => html`<tr><td class="num">${e.seq}</td><td>${e.time.replace('T', ' ').replace('Z', '')}</td><td>${e.actor}</td><td>${e.action}</td><td><code>${JSON.stringify(e.detail)}</code></td></tr>`)}</tbody>
</table></div>
</section>` : ''}`);
}
