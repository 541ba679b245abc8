import { html, raw } from 'hono/html';
import { chartsLabels, type ChartsLabel } from './labels/charts.ts';
import { fmtBytes } from './dashboard.ts';
import { layout, type Html, type PageCtx } from './layout.ts';

/**
 * The DPO's charts (issue 14 item 3): server-rendered SVG, so no script runs and the CSP
 * stays `script-src 'self'`; colours are SVG presentation attributes, not inline styles
 * (`style-src 'self'`). Every chart is an `<svg role="img">` with a one-sentence summary as
 * its accessible name, followed by the same numbers as a table ("As a table") for screen
 * readers and for anyone who wants the exact figures. Each bar carries its number as
 * `data-value`, which is what the browser test compares with the table and the data.
 */

export interface ChartSeries {
  key: string;
  label: string;
  values: number[];
}

export interface ChartsData {
  days: number;
  archived: { labels: string[]; calls: number[] };
  disk: { labels: string[]; used: (number | null)[]; totalBytes: number | null; limitBytes: number | null; bytesPerDay: number | null; daysLeft: number | null; fullOn: string | null };
  accesses: { labels: string[]; series: { key: string; values: number[] }[]; partial: boolean; scanned: number };
  requests: { key: string; n: number }[];
  alerts: { labels: string[]; series: { key: string; values: number[] }[] };
}

/** fills for up to five stacked series; distinguishable in greyscale too (light to dark) */
const FILLS = ['#1f5fa8', '#e08a1e', '#6b9e3f', '#8e5ba8', '#888888'];
const W = 720;
const H = 220;
const PAD = { left: 48, right: 12, top: 12, bottom: 36 };

const fmtNum = (n: number, lang: string) => n.toLocaleString(lang === 'de' ? 'de-DE' : 'en-GB', { maximumFractionDigits: 0 });

/** A round number at or above `max` for the axis (1, 2, 5 × 10^k). */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/** Stacked bars: one column per label, one segment per series. */
function barSvg(id: string, summary: string, labels: string[], series: ChartSeries[], lang: string): Html {
  const totals = labels.map((_, i) => series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const top = niceMax(Math.max(0, ...totals));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const step = plotW / Math.max(1, labels.length);
  const barW = Math.max(1, step * 0.8);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const parts: string[] = [];
  // axis: 0, half, top
  for (const v of [0, top / 2, top]) {
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ccc" stroke-width="1"/>`);
    parts.push(`<text x="${PAD.left - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#444">${fmtNum(v, lang)}</text>`);
  }
  labels.forEach((label, i) => {
    let base = 0;
    const x = PAD.left + i * step + (step - barW) / 2;
    series.forEach((s, k) => {
      const v = s.values[i] ?? 0;
      if (v > 0) {
        const y0 = y(base);
        const y1 = y(base + v);
        parts.push(`<rect class="bar" data-series="${esc(s.key)}" data-label="${esc(label)}" data-value="${v}" x="${x.toFixed(1)}" y="${y1.toFixed(1)}" width="${barW.toFixed(1)}" height="${(y0 - y1).toFixed(1)}" fill="${FILLS[k % FILLS.length]}"><title>${esc(`${label}: ${s.label} ${fmtNum(v, lang)}`)}</title></rect>`);
      }
      base += v;
    });
    // every label when they fit, else about eight
    const every = Math.max(1, Math.ceil(labels.length / 8));
    if (i % every === 0 || i === labels.length - 1) {
      parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${H - PAD.bottom + 14}" text-anchor="middle" font-size="11" fill="#444">${esc(label.length === 10 ? label.slice(5) : label)}</text>`);
    }
  });
  const legend = series.length > 1 ? series.map((s, k) => `<rect x="${PAD.left + k * 130}" y="${H - 14}" width="10" height="10" fill="${FILLS[k % FILLS.length]}"/><text x="${PAD.left + k * 130 + 14}" y="${H - 5}" font-size="11" fill="#222">${esc(s.label)}</text>`).join('') : '';
  return html`<svg id="${id}" class="chart" role="img" aria-label="${summary}" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">${raw(parts.join('') + legend)}</svg>`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The same numbers as a table, one row per label, one column per series (and a total). */
function table(id: string, head: string, labels: string[], series: ChartSeries[], lang: string, t: (k: ChartsLabel) => string): Html {
  const withTotal = series.length > 1;
  return html`<details><summary>${t('table')}</summary><table id="${id}-table"><thead><tr><th scope="col">${head}</th>${series.map((s) => html`<th scope="col">${s.label}</th>`)}${withTotal ? html`<th scope="col">${t('total')}</th>` : ''}</tr></thead><tbody>
${labels.map((l, i) => html`<tr><th scope="row">${l}</th>${series.map((s) => html`<td data-series="${s.key}">${fmtNum(s.values[i] ?? 0, lang)}</td>`)}${withTotal ? html`<td>${fmtNum(series.reduce((a, s) => a + (s.values[i] ?? 0), 0), lang)}</td>` : ''}</tr>`)}
</tbody></table></details>`;
}

/** Disk use per day, the limit where ingest stops, and the forecast line to it. */
function diskSvg(d: ChartsData['disk'], summary: string, lang: string, t: (k: ChartsLabel, v?: Record<string, string | number>) => string): Html {
  const known = d.used.filter((v): v is number => v !== null);
  if (d.totalBytes === null || d.limitBytes === null || known.length === 0) return html`<p>${t('diskUnknown')}</p>`;
  const horizon = d.daysLeft !== null ? Math.min(Math.ceil(d.daysLeft), 365) : 0;
  const n = d.used.length + horizon;
  const top = d.totalBytes;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (i / Math.max(1, n - 1)) * plotW;
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const pts = d.used.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean).join(' ');
  const last = known[known.length - 1]!;
  const parts = [
    `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(top).toFixed(1)}" y2="${y(top).toFixed(1)}" stroke="#ccc"/>`,
    `<line class="limit" data-value="${d.limitBytes}" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(d.limitBytes).toFixed(1)}" y2="${y(d.limitBytes).toFixed(1)}" stroke="#b00020" stroke-dasharray="2 3"/>`,
    `<text x="${W - PAD.right}" y="${(y(d.limitBytes) - 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#b00020">${esc(`${t('limit')} ${fmtBytes(d.limitBytes, lang as 'de' | 'en')}`)}</text>`,
    `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(0)}" y2="${y(0)}" stroke="#ccc"/>`,
    `<polyline class="used" data-value="${last}" points="${pts}" fill="none" stroke="${FILLS[0]}" stroke-width="2"/>`,
    `<text x="${PAD.left - 4}" y="${y(0) + 4}" text-anchor="end" font-size="11" fill="#444">0</text>`,
    `<text x="${PAD.left - 4}" y="${(y(top) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#444">${esc(fmtBytes(top, lang as 'de' | 'en'))}</text>`,
    `<text x="${PAD.left}" y="${H - PAD.bottom + 14}" font-size="11" fill="#444">${esc(d.labels[0]!.slice(5))}</text>`,
  ];
  if (horizon > 0) {
    parts.push(`<line class="forecast" data-days="${horizon}" x1="${x(d.used.length - 1).toFixed(1)}" y1="${y(last).toFixed(1)}" x2="${x(n - 1).toFixed(1)}" y2="${y(d.limitBytes).toFixed(1)}" stroke="${FILLS[1]}" stroke-width="2" stroke-dasharray="6 4"/>`);
    if (d.fullOn) parts.push(`<text x="${W - PAD.right}" y="${H - PAD.bottom + 14}" text-anchor="end" font-size="11" fill="${FILLS[1]}">${esc(t('fullOn', { date: d.fullOn }))}</text>`);
  }
  return html`<svg id="chart-disk" class="chart" role="img" aria-label="${summary}" viewBox="0 0 ${W} ${H}" width="100%" xmlns="http://www.w3.org/2000/svg">${raw(parts.join(''))}</svg>`;
}

export function chartsPage(ctx: PageCtx, d: ChartsData): Html {
  const t = chartsLabels.for(ctx.lang);
  const lang = ctx.lang;
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
  const archivedSeries: ChartSeries[] = [{ key: 'calls', label: t('calls'), values: d.archived.calls }];
  const accessSeries: ChartSeries[] = d.accesses.series.map((s) => ({ key: s.key, label: chartsLabels.has(`kind.${s.key}`) ? t(`kind.${s.key}` as ChartsLabel) : s.key, values: s.values }));
  const alertSeries: ChartSeries[] = d.alerts.series.map((s) => ({ key: s.key, label: chartsLabels.has(`severity.${s.key}`) ? t(`severity.${s.key}` as ChartsLabel) : s.key, values: s.values }));
  const reqLabels = d.requests.map((r) => (chartsLabels.has(`due.${r.key}`) ? t(`due.${r.key}` as ChartsLabel) : r.key));
  const reqSeries: ChartSeries[] = [{ key: 'requests', label: t('requestsCount'), values: d.requests.map((r) => r.n) }];
  const usedNow = [...d.disk.used].reverse().find((v) => v !== null) ?? null;
  const diskSummary = d.disk.totalBytes === null || usedNow === null ? t('diskUnknown')
    : d.disk.daysLeft !== null && d.disk.bytesPerDay
      ? t('diskDesc', { used: fmtBytes(usedNow, lang), total: fmtBytes(d.disk.totalBytes, lang), days: Math.floor(d.disk.daysLeft), rate: fmtBytes(d.disk.bytesPerDay, lang) })
      : t('diskDescNoForecast', { used: fmtBytes(usedNow, lang), total: fmtBytes(d.disk.totalBytes, lang), days: 0, rate: '' });
  const diskTable: ChartSeries[] = [{ key: 'used', label: t('used'), values: d.disk.used.map((v) => v ?? 0) }];
  const overdue = d.requests.find((r) => r.key === 'overdue')?.n ?? 0;
  const body = html`<p>${t('intro')} <a href="/charts?days=30"${d.days === 30 ? raw(' aria-current="true"') : ''}>${t('range30')}</a> · <a href="/charts?days=90"${d.days === 90 ? raw(' aria-current="true"') : ''}>${t('range90')}</a> · <a href="/">${t('back')}</a></p>
<section aria-labelledby="h-archived"><h2 id="h-archived">${t('archived')}</h2>
${barSvg('chart-archived', t('archivedDesc', { n: sum(d.archived.calls), days: d.days }), d.archived.labels, archivedSeries, lang)}
${table('chart-archived', t('day'), d.archived.labels, archivedSeries, lang, t)}</section>
<section aria-labelledby="h-disk"><h2 id="h-disk">${t('disk')}</h2>
${diskSvg(d.disk, diskSummary, lang, t)}
<p>${diskSummary}</p>
<details><summary>${t('table')}</summary><table id="chart-disk-table"><thead><tr><th scope="col">${t('day')}</th><th scope="col">${t('used')}</th></tr></thead><tbody>
${d.disk.labels.map((l, i) => html`<tr><th scope="row">${l}</th><td>${d.disk.used[i] === null ? '–' : fmtBytes(diskTable[0]!.values[i]!, lang)}</td></tr>`)}
</tbody></table></details></section>
<section aria-labelledby="h-accesses"><h2 id="h-accesses">${t('accesses')}</h2>
${barSvg('chart-accesses', t('accessesDesc', { n: sum(accessSeries.flatMap((s) => s.values)), days: d.days }), d.accesses.labels, accessSeries, lang)}
${d.accesses.partial ? html`<p class="warn">${t('accessesPartial', { n: fmtNum(d.accesses.scanned, lang) })}</p>` : ''}
${table('chart-accesses', t('day'), d.accesses.labels, accessSeries, lang, t)}</section>
<section aria-labelledby="h-requests"><h2 id="h-requests">${t('requests')}</h2>
${barSvg('chart-requests', t('requestsDesc', { n: sum(d.requests.map((r) => r.n)), overdue }), reqLabels, reqSeries, lang)}
${table('chart-requests', t('requestsCount'), reqLabels, reqSeries, lang, t)}</section>
<section aria-labelledby="h-alerts"><h2 id="h-alerts">${t('alerts')}</h2>
${barSvg('chart-alerts', t('alertsDesc', { n: sum(alertSeries.flatMap((s) => s.values)), weeks: d.alerts.labels.length }), d.alerts.labels, alertSeries, lang)}
${table('chart-alerts', t('week'), d.alerts.labels, alertSeries, lang, t)}</section>`;
  return layout(ctx, t('title'), body);
}
