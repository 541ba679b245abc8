import { html, raw } from 'hono/html';
import type { Lang } from './i18n.ts';
import { holdsLabel, type HoldsLabel } from './labels/holds.ts';
import type { SearchFields } from '../src/core/types.ts';
import { csrfField, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

/** /holds: legal holds (place, list, request release) and early-deletion requests. */

type Key = HoldsLabel;

export { holdsLabel };

export const HOLD_DONE = ['placed', 'release-requested', 'deletion-requested'] as const;

/** The place-a-hold form as typed (same search fields as /recordings). */
export interface HoldDraft extends Pick<SearchFields, 'from' | 'to' | 'number' | 'agent' | 'queue' | 'direction' | 'consent'> {
  caseName: string;
  reason: string;
  ids: string;
}

// The page's view models: the route hands over the stored holds and requests
// (src/retention/holds.ts, src/approvals/); these name only what the page reads, so the
// page depends on no module above core (DESIGN §2).

/** A hold's saved search: which fields are set (tokens only say that a number or agent is in it). */
export interface HoldSearchView {
  fromMs?: number;
  toMs?: number;
  queue?: string;
  direction?: string;
  consentState?: string;
  phoneToken?: string;
  agentToken?: string;
}

export interface HoldView {
  id: string;
  caseName: string;
  reason: string;
  ids: string[];
  search: HoldSearchView | null;
  createdAt: number;
  createdBy: string;
  state: 'active' | 'released';
  releasedAt: number | null;
  releasedBy: string | null;
  releaseApprovalId: string | null;
}

/** A pending early-deletion request (payload.ids: the recordings). */
export interface DeletionRequestView {
  target: string;
  reason: string;
  requestedBy: string;
  expiresAt: number;
  payload: Record<string, unknown>;
}

export interface HoldsData {
  holds: (HoldView & {
    pendingRelease: string | null;
    /** the typed number / agent, only for viewers who may see personal data (else null) */
    shown?: { number?: string; agent?: string } | null;
    /** calls the hold keeps now (active holds) */
    heldNow?: { n: number; atLeast: boolean } | null;
  })[];
  deletions: DeletionRequestView[];
  draft?: HoldDraft;
  deletionDraft?: { ids: string; reason: string };
  error?: string;
  /** which form the error belongs to */
  errorAt?: 'place' | 'release' | 'delete';
  done?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const when = (ms: number, lang: Lang) => html`<time datetime="${iso(ms)}">${fmtTime(iso(ms), lang)}</time>`;

function searchText(s: HoldSearchView, lang: Lang, shown?: { number?: string; agent?: string } | null): string {
  const L = (k: Key) => holdsLabel(lang, k);
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const parts: string[] = [];
  if (s.fromMs !== undefined) parts.push(`${L('field.fromMs')} ${day(s.fromMs)}`);
  if (s.toMs !== undefined) parts.push(`${L('field.toMs')} ${day(s.toMs)}`);
  if (s.queue) parts.push(`${L('field.queue')} ${s.queue}`);
  if (s.direction) parts.push(`${L('field.direction')} ${s.direction}`);
  if (s.consentState) parts.push(`${L('field.consentState')} ${s.consentState}`);
  if (s.phoneToken) parts.push(shown?.number ? holdsLabel(lang, 'field.number', { number: shown.number }) : L('field.phoneToken'));
  if (s.agentToken) parts.push(shown?.agent ? holdsLabel(lang, 'field.agent', { agent: shown.agent }) : L('field.agentToken'));
  return parts.join(', ');
}

function opt(value: string, label: string, current: string): Html {
  return html`<option value="${value}"${current === value ? raw(' selected') : ''}>${label}</option>`;
}

export function holdsPage(ctx: PageCtx, d: HoldsData): Html {
  const lang = ctx.lang;
  const L = (k: Key, v?: Record<string, string | number>) => holdsLabel(lang, k, v);
  const f: HoldDraft = d.draft ?? { caseName: '', reason: '', ids: '', from: '', to: '', number: '', agent: '', queue: '', direction: '', consent: '' };
  const del = d.deletionDraft ?? { ids: '', reason: '' };
  const done = d.done && (HOLD_DONE as readonly string[]).includes(d.done) ? L(`done.${d.done}` as Key) : null;
  const err = (at: HoldsData['errorAt']) => (d.error && d.errorAt === at ? html`<p class="error" role="alert" id="${at}-error">${d.error}</p>` : '');
  const scope = (h: HoldsData['holds'][number]) => [h.ids.length ? L('recordings', { n: h.ids.length }) : '', h.search ? L('search', { fields: searchText(h.search, lang, h.shown) }) : ''].filter(Boolean).join('; ');
  const now = (h: HoldsData['holds'][number]) => (h.heldNow ? html`<br><strong class="held-now">${L(h.heldNow.atLeast ? 'heldNowAtLeast' : 'heldNow', { n: h.heldNow.n })}</strong>` : '');
  const active = d.holds.filter((h) => h.state === 'active');
  const released = d.holds.filter((h) => h.state === 'released');
  return layout(ctx, L('title'), html`
<p>${L('intro')}</p>
${done ? html`<p class="ok" role="status" id="done">${done}</p>` : ''}
${err('release')}
<section aria-labelledby="active-h">
<h2 id="active-h">${L('active')}</h2>
${active.length ? html`<div class="table-wrap"><table id="active" aria-labelledby="active-h">
<thead><tr><th scope="col">${L('colCase')}</th><th scope="col">${L('colReason')}</th><th scope="col">${L('colScope')}</th><th scope="col">${L('colCreated')}</th><th scope="col">${L('colRelease')}</th></tr></thead>
<tbody>${active.map((h) => html`<tr id="hold-${h.id}">
<td>${h.caseName}<br><code class="muted">${h.id}</code></td><td>${h.reason}</td><td>${scope(h)}${now(h)}</td>
<td>${when(h.createdAt, lang)} <span class="muted">${h.createdBy}</span></td>
<td>${h.pendingRelease ? html`<p class="muted">${L('pendingRelease', { id: h.pendingRelease })}</p>` : html`
<form method="post" action="/holds/${h.id}/release" class="stack">${csrfField(ctx.csrf)}
  <label for="release-${h.id}">${L('releaseReason')}</label>
  <textarea id="release-${h.id}" name="reason" rows="2" maxlength="2000" required></textarea>
  <button type="submit">${L('requestRelease')}</button>
</form>`}</td></tr>`)}</tbody></table></div>` : html`<p>${L('none')}</p>`}
</section>

<section aria-labelledby="place-h">
<h2 id="place-h">${L('placeTitle')}</h2>
<form method="post" action="/holds" class="stack narrow" aria-labelledby="place-h">
  ${csrfField(ctx.csrf)}
  ${err('place')}
  <div><label for="h-case">${L('caseName')}</label><input id="h-case" name="caseName" required maxlength="300" autocomplete="off" value="${f.caseName}" aria-describedby="h-case-hint">
    <small id="h-case-hint" class="muted">${L('caseHint')}</small></div>
  <div><label for="h-reason">${L('reason')}</label><textarea id="h-reason" name="reason" rows="2" maxlength="2000" required>${f.reason}</textarea></div>
  <div><label for="h-ids">${L('ids')}</label><textarea id="h-ids" name="ids" rows="4" aria-describedby="h-ids-hint">${f.ids}</textarea>
    <small id="h-ids-hint" class="muted">${L('idsHint')}</small></div>
  <fieldset><legend>${L('searchLegend')}</legend>
    <div><label for="h-from">${L('from')}</label><input id="h-from" name="from" type="date" value="${f.from}"></div>
    <div><label for="h-to">${L('to')}</label><input id="h-to" name="to" type="date" value="${f.to}"></div>
    ${ctx.may('recording.personal') ? html`
    <div><label for="h-number">${L('number')}</label><input id="h-number" name="number" inputmode="tel" autocomplete="off" value="${f.number}"></div>
    <div><label for="h-agent">${L('agent')}</label><input id="h-agent" name="agent" autocomplete="off" value="${f.agent}"></div>` : html`
    <p class="muted">${L('personalFieldsHidden')}</p>`}
    <div><label for="h-queue">${L('queue')}</label><input id="h-queue" name="queue" autocomplete="off" value="${f.queue}"></div>
    <div><label for="h-direction">${L('direction')}</label><select id="h-direction" name="direction">
      ${opt('', L('any'), f.direction)}${opt('in', L('dir.in'), f.direction)}${opt('out', L('dir.out'), f.direction)}${opt('internal', L('dir.internal'), f.direction)}
    </select></div>
    <div><label for="h-consent">${L('consent')}</label><select id="h-consent" name="consent">
      ${opt('', L('any'), f.consent)}${opt('granted', L('consent.granted'), f.consent)}${opt('denied', L('consent.denied'), f.consent)}${opt('unknown', L('consent.unknown'), f.consent)}
    </select></div>
  </fieldset>
  <button type="submit" class="primary">${L('place')}</button>
</form>
</section>

<section aria-labelledby="released-h">
<h2 id="released-h">${L('released')}</h2>
${released.length ? html`<div class="table-wrap"><table id="released" aria-labelledby="released-h">
<thead><tr><th scope="col">${L('colCase')}</th><th scope="col">${L('colScope')}</th><th scope="col">${L('colCreated')}</th><th scope="col">${L('colReleased')}</th></tr></thead>
<tbody>${released.map((h) => html`<tr id="hold-${h.id}"><td>${h.caseName}<br><code class="muted">${h.id}</code></td><td>${scope(h)}</td>
<td>${when(h.createdAt, lang)} <span class="muted">${h.createdBy}</span></td>
<td>${h.releasedAt ? when(h.releasedAt, lang) : ''} <span class="muted">${h.releasedBy ?? ''}${h.releaseApprovalId ? ` (${h.releaseApprovalId})` : ''}</span></td></tr>`)}</tbody></table></div>` : html`<p>${L('none')}</p>`}
</section>

<section aria-labelledby="delete-h">
<h2 id="delete-h">${L('deleteTitle')}</h2>
<p class="muted">${L('deleteIntro')}</p>
${d.deletions.length ? html`<h3 id="deletions-h">${L('deletions')}</h3><div class="table-wrap"><table id="deletions" aria-labelledby="deletions-h">
<thead><tr><th scope="col">${L('colTarget')}</th><th scope="col">${L('colReason')}</th><th scope="col">${L('colBy')}</th><th scope="col">${L('colExpires')}</th></tr></thead>
<tbody>${d.deletions.map((a) => html`<tr><td>${(a.payload.ids as string[] | undefined)?.length ?? 0} · <code>${a.target}</code></td><td>${a.reason}</td><td>${a.requestedBy}</td><td>${when(a.expiresAt, lang)}</td></tr>`)}</tbody></table></div>` : ''}
<form method="post" action="/holds/deletions" class="stack narrow" aria-labelledby="delete-h">
  ${csrfField(ctx.csrf)}
  ${err('delete')}
  <div><label for="d-ids">${L('deleteIds')}</label><textarea id="d-ids" name="ids" rows="3" required>${del.ids}</textarea></div>
  <div><label for="d-reason">${L('deleteReason')}</label><textarea id="d-reason" name="reason" rows="2" maxlength="2000" required>${del.reason}</textarea></div>
  <button type="submit" class="danger">${L('deleteRequest')}</button>
</form>
</section>`);
}
