import { html } from 'hono/html';
import type { Lang } from '../src/web/i18n.ts';
import type { ApprovalRow } from '../src/retention/approvals.ts';
import { csrfField, fmtTime, layout, type Html, type PageCtx } from './layout.ts';

const L = {
  de: {
    title: 'Freigaben (Vier-Augen-Prinzip)',
    intro: 'Eine Person beantragt, eine zweite, andere Person mit Freigaberecht entscheidet. Anfragen verfallen nach 7 Tagen.',
    pending: 'Offene Anfragen',
    pendingNone: 'Keine offenen Anfragen.',
    approvedNotDone: 'Freigegeben, aber noch nicht ausgeführt',
    mine: 'Meine Anfragen',
    mineNone: 'Sie haben keine Anfragen gestellt.',
    colKind: 'Aktion',
    colTarget: 'Betrifft',
    colBy: 'Beantragt von',
    colAt: 'Beantragt',
    colExpires: 'Verfällt',
    colReason: 'Begründung',
    colState: 'Stand',
    colDecide: 'Entscheidung',
    note: 'Notiz (optional)',
    approve: 'Freigeben',
    reject: 'Ablehnen',
    run: 'Jetzt ausführen',
    own: 'Ihre eigene Anfrage: eine zweite Person muss entscheiden.',
    aboutYou: 'Diese Anfrage betrifft Sie: eine andere Person muss entscheiden.',
    cannotDecide: 'Ihre Rolle darf nicht entscheiden.',
    'kind.quarantine.discard': 'Quarantäne-Datei verwerfen',
    'kind.user.roles.grant': 'Rollen mit personenbezogenen Daten vergeben',
    'kind.hold.release': 'Aufbewahrungssperre (Legal Hold) aufheben',
    'kind.recording.delete': 'Aufnahmen vorzeitig löschen',
    'state.pending': 'offen',
    'state.approved': 'freigegeben',
    'state.rejected': 'abgelehnt',
    'state.expired': 'verfallen',
    'state.done': 'ausgeführt',
    'done.approved': 'Freigegeben und ausgeführt.',
    'done.rejected': 'Abgelehnt.',
    'done.run': 'Ausgeführt.',
  },
  en: {
    title: 'Approvals (four-eyes)',
    intro: 'One person asks, a second, different person allowed to approve decides. Requests expire after 7 days.',
    pending: 'Waiting for a decision',
    pendingNone: 'No requests are waiting.',
    approvedNotDone: 'Approved but not carried out yet',
    mine: 'My requests',
    mineNone: 'You have not asked for anything.',
    colKind: 'Action',
    colTarget: 'Concerns',
    colBy: 'Requested by',
    colAt: 'Requested',
    colExpires: 'Expires',
    colReason: 'Reason',
    colState: 'State',
    colDecide: 'Decision',
    note: 'Note (optional)',
    approve: 'Approve',
    reject: 'Reject',
    run: 'Carry out now',
    own: 'Your own request: a second person has to decide.',
    aboutYou: 'This request is about you: someone else has to decide.',
    cannotDecide: 'Your role may not decide.',
    'kind.quarantine.discard': 'Discard a quarantined file',
    'kind.user.roles.grant': 'Grant roles that see personal data',
    'kind.hold.release': 'Release a legal hold',
    'kind.recording.delete': 'Delete recordings early',
    'state.pending': 'pending',
    'state.approved': 'approved',
    'state.rejected': 'rejected',
    'state.expired': 'expired',
    'state.done': 'carried out',
    'done.approved': 'Approved and carried out.',
    'done.rejected': 'Rejected.',
    'done.run': 'Carried out.',
  },
} as const;

type Key = keyof (typeof L)['en'];

function lbl(lang: Lang) {
  return (k: string) => (L[lang] as Record<string, string>)[k] ?? (L.en as Record<string, string>)[k] ?? k;
}

export interface ApprovalsData {
  pending: ApprovalRow[];
  approvedNotDone: ApprovalRow[];
  mine: ApprovalRow[];
  canDecide: boolean;
  me: { actor: string; name: string };
  done?: string;
  error?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function approvalsPage(ctx: PageCtx, d: ApprovalsData): Html {
  const t = lbl(ctx.lang);
  const when = (ms: number) => html`<time datetime="${iso(ms)}">${fmtTime(iso(ms), ctx.lang)}</time>`;
  const doneMsg = d.done && (`done.${d.done}` as Key) in L.en ? t(`done.${d.done}`) : null;
  const isMine = (r: ApprovalRow) => r.requester === d.me.name || r.requestedBy === d.me.actor;
  return layout(ctx, t('title'), html`
<p>${t('intro')}</p>
${doneMsg ? html`<p class="note" role="status" id="done">${doneMsg}</p>` : ''}
${d.error ? html`<p class="error" role="alert" id="action-error">${d.error}</p>` : ''}
<section aria-labelledby="pending-h">
<h2 id="pending-h">${t('pending')}</h2>
${d.pending.length === 0 ? html`<p>${t('pendingNone')}</p>` : html`<div class="table-wrap"><table id="pending" aria-labelledby="pending-h">
<thead><tr><th scope="col">${t('colKind')}</th><th scope="col">${t('colTarget')}</th><th scope="col">${t('colBy')}</th>
<th scope="col">${t('colAt')}</th><th scope="col">${t('colExpires')}</th><th scope="col">${t('colReason')}</th><th scope="col">${t('colDecide')}</th></tr></thead>
<tbody>${d.pending.map((r) => html`<tr id="a-${r.id}">
<td>${t(`kind.${r.kind}`)}${Array.isArray(r.payload.roles) ? html`: <strong>${(r.payload.roles as string[]).join(', ')}</strong>` : ''}</td><td><code>${r.target}</code></td><td>${r.requestedBy}</td>
<td>${when(r.requestedAt)}</td><td>${when(r.expiresAt)}</td><td>${r.reason}</td>
<td>${isMine(r) ? html`<p class="muted">${t('own')}</p>` : r.beneficiaries?.includes(d.me.name) ? html`<p class="muted">${t('aboutYou')}</p>` : !d.canDecide ? html`<p class="muted">${t('cannotDecide')}</p>` : html`
  <form method="post" action="/approvals/${r.id}/decide" class="stack">${csrfField(ctx.csrf)}
    <label for="note-${r.id}">${t('note')}</label>
    <textarea id="note-${r.id}" name="note" rows="2" maxlength="2000"></textarea>
    <button type="submit" name="decision" value="approve" class="danger">${t('approve')}</button>
    <button type="submit" name="decision" value="reject">${t('reject')}</button>
  </form>`}</td></tr>`)}</tbody></table></div>`}
</section>
${d.approvedNotDone.length ? html`<section aria-labelledby="stuck-h">
<h2 id="stuck-h">${t('approvedNotDone')}</h2>
<ul>${d.approvedNotDone.map((r) => html`<li>${t(`kind.${r.kind}`)} <code>${r.target}</code> (${r.decidedBy ?? ''})
  ${d.canDecide ? html`<form method="post" action="/approvals/${r.id}/run" class="inline">${csrfField(ctx.csrf)}<button type="submit">${t('run')}</button></form>` : ''}</li>`)}</ul>
</section>` : ''}
<section aria-labelledby="mine-h">
<h2 id="mine-h">${t('mine')}</h2>
${d.mine.length === 0 ? html`<p>${t('mineNone')}</p>` : html`<div class="table-wrap"><table id="mine" aria-labelledby="mine-h">
<thead><tr><th scope="col">${t('colKind')}</th><th scope="col">${t('colTarget')}</th><th scope="col">${t('colAt')}</th><th scope="col">${t('colState')}</th></tr></thead>
<tbody>${d.mine.map((r) => html`<tr><td>${t(`kind.${r.kind}`)}</td><td><code>${r.target}</code></td><td>${when(r.requestedAt)}</td>
<td>${t(`state.${r.state}`)}${r.decidedBy ? html` (${r.decidedBy})` : ''}</td></tr>`)}</tbody></table></div>`}
</section>`);
}
