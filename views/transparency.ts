import { html } from 'hono/html';
import type { Lang } from './i18n.ts';
import type { Policy } from '../src/core/types.ts';
import { transparencyLabels, type TransparencyLabel } from './labels/transparency.ts';
import { layout, type Html, type PageCtx } from './layout.ts';

/**
 * The transparency texts (issue 11 item 8), all from one set of facts taken from the live
 * configuration: the public notice (/privacy, Art. 13), the IVR announcement, and the Art. 30
 * record of processing (HTML, and the same sections as PDF). The facts hold the
 * organisation's contacts and the retention rules only — never anything about a caller.
 */

export interface TransparencyFacts {
  controller: { name: string; address: string; email: string };
  dpo: { name: string; email: string };
  purposes: readonly string[];
  policies: readonly Policy[];
  /** the longest keep of all policies (ISO 8601), null when there is none */
  longestKeep: string | null;
}

/** One section of the Art. 30 record, as both the HTML page and the PDF print it. */
export interface DocSection {
  heading: string;
  paragraphs: string[];
  table?: { header: string[]; rows: string[][] };
}

type L = (k: TransparencyLabel, v?: Record<string, string | number>) => string;
const labels = (lang: Lang): L => (k, v) => transparencyLabels.get(lang, k, v);


/** "P5Y6M" → "5 years 6 months"; anything else as written. */
export function readableDuration(iso: string, lang: Lang): string {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/.exec(iso);
  if (!m || iso === 'P') return iso;
  const parts: string[] = [];
  (['Y', 'M', 'W', 'D'] as const).forEach((u, i) => {
    const n = m[i + 1];
    if (n !== undefined) parts.push(transparencyLabels.get(lang, `unit.${u}.${Number(n) === 1 ? 'one' : 'many'}`, { n: Number(n) }));
  });
  return parts.join(' ');
}

function applies(p: Policy, L: L): string {
  const m = p.match;
  const parts: string[] = [];
  if (m.queue?.length) parts.push(L('appliesQueue', { v: m.queue.join(', ') }));
  if (m.direction?.length) parts.push(L('appliesDirection', { v: m.direction.join(', ') }));
  if (m.purpose?.length) parts.push(L('appliesPurpose', { v: m.purpose.join(', ') }));
  if (m.tags?.length) parts.push(L('appliesTags', { v: m.tags.join(', ') }));
  if (m.consent?.length) parts.push(L('appliesConsent', { v: m.consent.join(', ') }));
  return parts.length ? parts.join('; ') : L('appliesAll');
}

function retentionTable(f: TransparencyFacts, lang: Lang): { header: string[]; rows: string[][] } {
  const L = labels(lang);
  return {
    header: [L('colPolicy'), L('colApplies'), L('colKeep')],
    rows: f.policies.map((p) => [p.name, applies(p, L), readableDuration(p.keep, lang) + (p.lock ? ` (${L('lockedNote')})` : '')]),
  };
}

const or = (v: string, L: L) => (v.trim() ? v : L('notConfigured'));

/** The IVR announcement: short sentences that can be read out as they stand. */
export function ivrText(f: TransparencyFacts, lang: Lang): string {
  const L = labels(lang);
  const email = f.dpo.email || f.controller.email;
  return L('ivrText', {
    purposes: f.purposes.length ? f.purposes.join(', ') : L('ivrNoPurposes'),
    controller: or(f.controller.name, L),
    longest: f.longestKeep ? readableDuration(f.longestKeep, lang) : L('ivrForever'),
    where: email ? L('ivrWhere', { email }) : L('ivrWhereUnset'),
  });
}

function tableHtml(t: { header: string[]; rows: string[][] }, id: string): Html {
  return html`<div class="table-wrap"><table id="${id}"><thead><tr>${t.header.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${t.rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table></div>`;
}

function contact(f: TransparencyFacts, L: L): Html {
  const dd = (v: string) => (v.trim() ? html`<dd>${v}</dd>` : html`<dd class="muted not-configured">${L('notConfigured')}</dd>`);
  return html`<section aria-labelledby="controller-h"><h2 id="controller-h">${L('controllerTitle')}</h2>
<dl id="controller"><dt>${L('name')}</dt>${dd(f.controller.name)}<dt>${L('address')}</dt>${dd(f.controller.address)}<dt>${L('email')}</dt>${dd(f.controller.email)}</dl></section>
<section aria-labelledby="dpo-h"><h2 id="dpo-h">${L('dpoTitle')}</h2>
<dl id="dpo"><dt>${L('name')}</dt>${dd(f.dpo.name)}<dt>${L('email')}</dt>${dd(f.dpo.email)}</dl></section>`;
}

/** /privacy: the public notice (no sign-in), with the IVR text to print. */
export function publicPrivacyPage(ctx: PageCtx, f: TransparencyFacts): Html {
  const lang = ctx.lang;
  const L = labels(lang);
  const other: Lang = lang === 'de' ? 'en' : 'de';
  const email = f.dpo.email || f.controller.email;
  return layout(ctx, L('title'), html`
<p><a href="/privacy?lang=${other}" lang="${other}" hreflang="${other}">${L('langOther')}</a></p>
<p>${L('intro')}</p>
${contact(f, L)}
<section aria-labelledby="purposes-h"><h2 id="purposes-h">${L('purposesTitle')}</h2>
${f.purposes.length ? html`<ul id="purposes">${f.purposes.map((p) => html`<li>${p}</li>`)}</ul>` : html`<p class="muted not-configured">${L('notConfigured')}</p>`}</section>
<section aria-labelledby="retention-h"><h2 id="retention-h">${L('retentionTitle')}</h2>
${f.policies.length ? html`<p>${L('retentionIntro')}</p>${tableHtml(retentionTable(f, lang), 'retention')}` : html`<p>${L('retentionNone')}</p>`}</section>
<section aria-labelledby="rights-h"><h2 id="rights-h">${L('rightsTitle')}</h2>
<ul id="rights">${(['right15', 'right16', 'right17', 'right18', 'right21', 'right73', 'right77'] as const).map((k) => html`<li>${L(k)}</li>`)}</ul></section>
<section aria-labelledby="how-h"><h2 id="how-h">${L('howTitle')}</h2><p>${L('howText')}</p>
${email ? html`<p>${L('howContact', { contact: email })}</p>` : ''}</section>
<section aria-labelledby="ivr-h" class="print"><h2 id="ivr-h">${L('ivrTitle')}</h2><p class="muted">${L('ivrIntro')}</p>
<blockquote id="ivr-text">${ivrText(f, lang)}</blockquote>
<p class="muted">${L('print')}: Ctrl+P</p></section>`);
}

/** The Art. 30(1) record for recordings, as sections (the HTML page and the PDF print the same). */
export function recordOfProcessing(f: TransparencyFacts, lang: Lang): { title: string; sections: DocSection[] } {
  const L = labels(lang);
  const line = (label: TransparencyLabel, v: string) => `${L(label)}: ${or(v, L)}`;
  return {
    title: L('recordTitle'),
    sections: [
      { heading: L('rControllerTitle'), paragraphs: [
        `${L('controllerTitle')} — ${line('name', f.controller.name)}; ${line('address', f.controller.address)}; ${line('email', f.controller.email)}`,
        `${L('dpoTitle')} — ${line('name', f.dpo.name)}; ${line('email', f.dpo.email)}`,
      ] },
      { heading: L('rPurposesTitle'), paragraphs: f.purposes.length ? [...f.purposes] : [L('notConfigured')] },
      { heading: L('rSubjectsTitle'), paragraphs: [L('rSubjects'), L('rData')] },
      { heading: L('rRecipientsTitle'), paragraphs: [L('rRecipients')] },
      { heading: L('rTransfersTitle'), paragraphs: [L('rTransfers')] },
      f.policies.length
        ? { heading: L('rRetentionTitle'), paragraphs: [L('retentionIntro')], table: retentionTable(f, lang) }
        : { heading: L('rRetentionTitle'), paragraphs: [L('retentionNone')] },
      { heading: L('rSecurityTitle'), paragraphs: [L('rSecurity1'), L('rSecurity2'), L('rSecurity3'), L('rSecurity4'), L('rSecurity5'), L('rRequests')] },
    ],
  };
}

/** /privacy/record-of-processing (dpo): the record, with its PDF link. */
export function recordOfProcessingPage(ctx: PageCtx, f: TransparencyFacts, at: string): Html {
  const L = labels(ctx.lang);
  const doc = recordOfProcessing(f, ctx.lang);
  return layout(ctx, doc.title, html`
<p class="muted">${L('recordIntro', { at })}</p>
<p><a href="/privacy/record-of-processing.pdf" id="record-pdf">${L('recordPdf')}</a></p>
${doc.sections.map((s, i) => html`<section aria-labelledby="r${i}-h"><h2 id="r${i}-h">${s.heading}</h2>
${s.paragraphs.map((p) => html`<p>${p}</p>`)}${s.table ? tableHtml(s.table, `r${i}-table`) : ''}</section>`)}`);
}
