import { TresorError } from '../core/errors.ts';
import type { AuditLog } from '../audit/index.ts';
import type { ApprovalRow, IndexStore, RequestRow } from '../store/index.ts';
import { can } from '../auth/roles.ts';
import { PREVIEW_ROWS, requestApproval, requesterOf, type ApprovalKinds, type ApprovalPreview, type ApprovalViewer, type PreviewCall } from '../approvals/index.ts';
import { activeHolds, heldBy } from '../retention/holds.ts';
import { shred } from '../retention/purge.ts';
import { discardQuarantinedMany } from '../ingest/quarantine.ts';
import { tokenPrefix } from './identifiers.ts';
import { closeRequest, getRequest, startRequest } from './requests.ts';
import type { PrivacyDeps } from './deps.ts';
import { writeErasureCertificate } from './certificate.ts';

/**
 * Erasure (GDPR Art. 17) of a verified request: every call and quarantined file found
 * through the request's keyed tokens (the identifiers stay sealed: the tokens in the row
 * are enough, so neither the approver nor the executor opens personal data). Calls a legal
 * hold keeps (Art. 17(3)(e): legal claims) or a locked policy keeps (Art. 17(3)(b): a legal
 * obligation to keep; § 35(3) BDSG: restrict instead) are exceptions, listed with their
 * ground and not erased. Four-eyes (src/approvals/): a dpo asks, a second, different
 * dpo/admin approves; the executor crypto-shreds through the purge (tombstones,
 * `recording.purged` with the request id), discards the quarantined files, answers the
 * request and writes the erasure certificate (certificate.ts).
 */
export const ERASURE_KIND = 'request.erasure';
/** More calls than this in one request need an explicit confirmation (privacy.maxErasureCalls). */
export const DEFAULT_MAX_ERASURE_CALLS = 100;

export type ErasureGround = 'legal-hold' | 'locked-policy';
export interface ErasureException {
  id: string;
  reason: ErasureGround;
  /** the article the exception rests on, for the certificate and the letter */
  ground: string;
  hold?: string;
  policy?: string;
}

export interface ErasurePlan {
  request: string;
  erase: string[];
  exceptions: ErasureException[];
  quarantined: string[];
}

const GROUNDS: Record<ErasureGround, string> = {
  'legal-hold': 'Art. 17(3)(e) GDPR (legal claims): kept under legal hold, restricted instead (§ 35(3) BDSG)',
  'locked-policy': 'Art. 17(3)(b) GDPR (legal obligation to keep): locked retention policy, restricted instead (§ 35(3) BDSG)',
};

interface ErasureDeps {
  store: IndexStore;
  log: AuditLog;
  dataDir: string;
}

function mustBeErasable(r: RequestRow): void {
  if (r.kind !== 'erasure') throw new TresorError('E_CONFLICT', `request ${r.id} is a ${r.kind} request, not erasure`, { detail: { reason: 'kind' } });
  if (r.state !== 'identity-verified' && r.state !== 'in-progress') {
    throw new TresorError('E_CONFLICT', `request ${r.id} is ${r.state}; erasure needs it identity-verified or in-progress`, { detail: { reason: 'state', state: r.state } });
  }
}

/** What erasing would do now, from the request's tokens (no identifier is opened). */
export function planErasure(store: IndexStore, r: RequestRow): ErasurePlan {
  const ids = [...new Set(r.tokens.flatMap((t) => store.recordings.idsByToken(t.kind, t.token)))].sort();
  const quarantined = [...new Set(r.tokens.flatMap((t) => (t.kind === 'phone' ? store.quarantine.idsByToken('phone', t.token) : [])))].sort();
  const holds = activeHolds(store);
  const erase: string[] = [];
  const exceptions: ErasureException[] = [];
  for (const id of ids) {
    const row = store.recordings.get(id);
    if (!row) continue;
    const hold = heldBy(store, row, holds);
    if (hold) {
      exceptions.push({ id, reason: 'legal-hold', ground: GROUNDS['legal-hold'], hold });
      continue;
    }
    const policy = row.retention?.policy ?? null;
    if (policy && store.policies.get(policy)?.lock) {
      exceptions.push({ id, reason: 'locked-policy', ground: GROUNDS['locked-policy'], policy });
      continue;
    }
    erase.push(id);
  }
  return { request: r.id, erase, exceptions, quarantined };
}

/** What the CLI and API answer when an erasure is asked for (issue 11 contract). */
export function erasureAnswer(approval: string, plan: ErasurePlan): { approval: string; calls: number; quarantined: number; exceptions: { id: string; reason: string; ground: string }[] } {
  return {
    approval, calls: plan.erase.length, quarantined: plan.quarantined.length,
    exceptions: plan.exceptions.map((e) => ({ id: e.id, reason: e.reason, ground: e.ground })),
  };
}

export interface RequestErasureInput {
  /** the person behind `by` (four-eyes compares people) */
  person?: string;
  reason?: string;
  confirmMass?: boolean;
  maxCalls?: number;
}

/**
 * Asks for the erasure (the first pair of eyes). The matching is an access to which calls
 * belong to whom, so `subject.looked-up` (token prefixes only) is logged with the request.
 */
export async function requestErasure(deps: Pick<PrivacyDeps, 'store' | 'log'>, by: string, id: string, o: RequestErasureInput = {}): Promise<{ approval: ApprovalRow; plan: ErasurePlan }> {
  const r = getRequest(deps, id);
  mustBeErasable(r);
  const plan = planErasure(deps.store, r);
  const max = o.maxCalls ?? DEFAULT_MAX_ERASURE_CALLS;
  if (plan.erase.length > max && !o.confirmMass) {
    throw new TresorError('E_INVALID', `this erasure covers ${plan.erase.length} calls, more than privacy.maxErasureCalls (${max}): check the identifiers, then confirm with --confirm-mass (API: "confirmMass": true)`,
      { detail: { reason: 'mass-erasure', calls: plan.erase.length, max } });
  }
  await deps.log.append([{
    actor: by, action: 'subject.looked-up', target: `request:${id}`,
    detail: { identifiers: r.tokens.map((t) => t.kind), tokens: r.tokens.map((t) => `${t.kind}:${tokenPrefix(t.token)}`), for: 'erasure' },
  }]);
  const approval = await requestApproval(deps.store, deps.log, {
    kind: ERASURE_KIND, target: `request:${id}`, by, person: o.person, reason: o.reason?.trim() || `erasure request ${id} (Art. 17 GDPR)`,
    payload: { request: id, confirmMass: !!o.confirmMass, max },
    logDetail: { calls: plan.erase.length, exceptions: plan.exceptions.length, quarantined: plan.quarantined.length },
  });
  return { approval, plan };
}

export function describeErasure(store: IndexStore, row: ApprovalRow, viewer: ApprovalViewer): ApprovalPreview {
  const id = String(row.payload.request ?? row.target.replace(/^request:/, ''));
  const r = store.requests.get(id);
  if (!r) return { summary: `request ${id} is gone: nothing to do`, facts: [{ label: 'request', value: id }] };
  const plan = planErasure(store, r);
  const masked = !can(viewer.roles, 'recording.search');
  const rows: PreviewCall[] = plan.erase.slice(0, PREVIEW_ROWS).map((cid) => {
    const c = store.recordings.get(cid)!;
    return masked ? { id: cid, start: null, durationMs: null, queue: null } : { id: cid, start: c.start, durationMs: c.durationMs, queue: c.queue };
  });
  return {
    sentence: { key: 'erase', vars: { n: plan.erase.length, request: id, by: requesterOf(row) } },
    summary: `erases ${plan.erase.length} call(s) and ${plan.quarantined.length} quarantined file(s) of erasure request ${id} (Art. 17 GDPR)${plan.exceptions.length ? `; ${plan.exceptions.length} kept as exceptions (${plan.exceptions.map((e) => `${e.id}: ${e.reason}`).join(', ')})` : ''}`,
    facts: [
      { label: 'request', value: id }, { label: 'requestState', value: r.state },
      { label: 'erases', value: String(plan.erase.length) }, { label: 'quarantined', value: String(plan.quarantined.length) },
      { label: 'exceptions', value: String(plan.exceptions.length) },
    ],
    calls: { total: plan.erase.length, rows, masked },
    held: plan.exceptions.filter((e) => e.hold).map((e) => ({ id: e.id, hold: e.hold!, caseName: null })),
  };
}

/** The executor (the second pair of eyes approved; `actor` is the approver). */
export async function executeErasure(deps: ErasureDeps, row: ApprovalRow, actor: string, now: number = Date.now()): Promise<Record<string, unknown>> {
  if (row.kind !== ERASURE_KIND || row.state !== 'approved') throw new TresorError('E_FORBIDDEN', `erasure needs an approved ${ERASURE_KIND} request`);
  const id = String(row.payload.request);
  const r = getRequest(deps, id);
  mustBeErasable(r);
  const startedAt = now;
  const firstSeq = deps.log.size();
  // answering parts of the request go through the register (its transitions log themselves)
  const register: PrivacyDeps = { store: deps.store, log: deps.log, phone: {} as PrivacyDeps['phone'],
    keys: { tokenize: noKeys, sealSecret: noKeys, openSecret: noKeys } };
  if (r.state === 'identity-verified') await startRequest(register, actor, id);
  const plan = planErasure(deps.store, r);
  const max = typeof row.payload.max === 'number' ? row.payload.max : DEFAULT_MAX_ERASURE_CALLS;
  if (plan.erase.length > max && row.payload.confirmMass !== true) {
    throw new TresorError('E_INVALID', `the erasure now covers ${plan.erase.length} calls, more than ${max}, and was not confirmed as a mass erasure`, { detail: { reason: 'mass-erasure' } });
  }
  const shredded = await shred(deps, plan.erase, { by: actor, now, reason: 'request', run: null, approval: row.id, request: id });
  const q = plan.quarantined.length
    ? await discardQuarantinedMany({ dataDir: deps.dataDir, store: deps.store, log: deps.log, actor }, plan.quarantined, { approval: row.id, request: id })
    : { discarded: [], gone: [] };
  // a call a hold caught between plan and shred stays: an exception too
  const exceptions = [...plan.exceptions];
  for (const s of shredded.skipped) {
    const m = /^legal hold (\S+)$/.exec(s.why);
    if (m) exceptions.push({ id: s.id, reason: 'legal-hold', ground: GROUNDS['legal-hold'], hold: m[1]! });
  }
  await closeRequest(register, actor, id, { outcome: 'answered' });
  const cert = await writeErasureCertificate(deps, {
    request: id, approval: row.id, requestedBy: row.requestedBy, approvedBy: actor, startedAt, finishedAt: Date.now(), firstSeq,
    erased: shredded.purged.map((p) => p.id), quarantineDiscarded: q.discarded, exceptions,
  });
  const erased = shredded.purged.length;
  return {
    request: id, erased: shredded.purged.map((p) => p.id), quarantined: q.discarded, exceptions: exceptions.map((e) => ({ id: e.id, reason: e.reason })),
    certificate: cert.json,
    outcome: erased + q.discarded.length === 0 ? 'nothing' : exceptions.length ? 'partial' : 'done',
    summary: `${erased} call(s) and ${q.discarded.length} quarantined file(s) erased for request ${id}${exceptions.length ? `; ${exceptions.length} kept as exceptions` : ''}; certificate ${cert.json}`,
    counts: { erased, quarantined: q.discarded.length, exceptions: exceptions.length },
  };
}

function noKeys(): never {
  throw new TresorError('E_INTERNAL', 'the erasure executor holds no keys');
}

/** The erasure kind, plugged into /approvals, the approvals API and `tresor approve` (src/site/approvals.ts). */
export function erasureKinds(deps: ErasureDeps): ApprovalKinds {
  return {
    [ERASURE_KIND]: {
      describe: (row, viewer) => describeErasure(deps.store, row, viewer),
      execute: (row, actor) => executeErasure(deps, row, actor),
    },
  };
}
