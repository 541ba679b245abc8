import { newId } from '../core/ids.ts';
import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import { processAlive, processStartTime } from '../core/index.ts';
import type { ApprovalRow, IndexStore } from '../store/index.ts';
import { can, type Role } from '../auth/roles.ts';

/**
 * Four-eyes actions (DESIGN §6): one person asks, a second, different person holding
 * `approvals.decide` agrees, and only then does the action run (registry.ts holds what
 * each kind does). Used for discarding quarantined files, legal-hold release, early
 * deletion, role grants and policy changes.
 *
 * Every step is logged (approval.requested/approved/rejected/expired/refused) against the
 * request's target, so "what happened to quarantine:X" shows the whole story. Reasons and
 * notes are free text people type: they stay in the row (src/store/approvals.ts), never in
 * the log. Every state change is one all-or-nothing `store.tx`.
 */

export const APPROVAL_TTL_MS = 7 * 86_400_000;
const KIND_RE = /^[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+$/;
const MAX_TEXT = 2000;

export interface RequestInput {
  kind: string;
  target: string;
  /** log actor of the requester */
  by: string;
  /** the person (user name) behind `by`; defaults to `by` */
  person?: string;
  reason: string;
  payload?: Record<string, unknown>;
  /** people who may not decide this request (see ApprovalRow.beneficiaries) */
  beneficiaries?: string[];
  ttlMs?: number;
  now?: number;
  /** takes effect on its own then, unless rejected (ApprovalRow.graceUntil) */
  graceUntil?: number;
  rejectOnly?: boolean;
  /** extra facts for the `approval.requested` entry: counts and times only, never free text */
  logDetail?: Record<string, unknown>;
}

export async function requestApproval(store: IndexStore, log: LogWriter, input: RequestInput): Promise<ApprovalRow> {
  const now = input.now ?? Date.now();
  if (!KIND_RE.test(input.kind)) throw new TresorError('E_INVALID', `approval kind ${JSON.stringify(input.kind)} is not dotted lowercase`);
  if (!input.target) throw new TresorError('E_INVALID', 'an approval needs a target');
  if (!input.by) throw new TresorError('E_INVALID', 'an approval needs a requester');
  const reason = input.reason.trim();
  if (!reason) throw new TresorError('E_INVALID', 'give a reason: the second person decides on it', { detail: { reason: 'no-reason' } });
  if (reason.length > MAX_TEXT) throw new TresorError('E_INVALID', `the reason is longer than ${MAX_TEXT} characters`);
  const row: ApprovalRow = {
    id: newId(now), kind: input.kind, target: input.target, requestedBy: input.by, requester: input.person ?? input.by,
    requestedAt: now, expiresAt: now + (input.ttlMs ?? APPROVAL_TTL_MS), reason, payload: input.payload ?? {}, state: 'pending',
    ...(input.graceUntil !== undefined ? { graceUntil: input.graceUntil } : {}), ...(input.rejectOnly ? { rejectOnly: true as const } : {}),
    ...(input.beneficiaries?.length ? { beneficiaries: input.beneficiaries } : {}),
  };
  // a grace request lives until its grace is over, and a little longer for the sweep to apply it
  if (row.graceUntil !== undefined) row.expiresAt = Math.max(row.expiresAt, row.graceUntil + APPROVAL_TTL_MS);
  const existing = await store.tx(() => {
    const waiting = store.approvals.pending(now, { kind: row.kind, target: row.target })[0];
    if (waiting) return waiting;
    store.approvals.put(row);
    log.appendSync([{
      actor: row.requestedBy, action: 'approval.requested', target: row.target,
      detail: {
        approval: row.id, kind: row.kind, expiresAt: new Date(row.expiresAt).toISOString(),
        ...(row.graceUntil !== undefined ? { graceUntil: new Date(row.graceUntil).toISOString() } : {}), ...(row.rejectOnly ? { rejectOnly: true } : {}),
        ...input.logDetail,
      },
    }]);
    return null;
  });
  if (existing) {
    throw new TresorError('E_CONFLICT', `a request to ${existing.kind} ${existing.target} is already waiting for a decision (${existing.id})`,
      { detail: { reason: 'already-requested', approval: existing.id } });
  }
  return row;
}

export interface DecideInput {
  /** log actor of the decider */
  by: string;
  /** the person behind `by`; defaults to `by` */
  person?: string;
  roles: readonly Role[];
  approve: boolean;
  note?: string;
  now?: number;
}

/**
 * Approves or rejects. Refuses when the decider is the requester or the one it is about
 * (E_FOUR_EYES), lacks `approvals.decide` (E_FORBIDDEN), approves a reject-only request
 * (E_REJECT_ONLY), or the request expired (E_EXPIRED) or was decided already
 * (E_ALREADY_DECIDED); detail.reason says the same in the words the log uses.
 * The state change is one LMDB transaction, so of two people deciding at once one wins.
 * On approval the caller runs the action with `runApproved`.
 */
export async function decide(store: IndexStore, log: LogWriter, id: string, d: DecideInput): Promise<ApprovalRow> {
  const now = d.now ?? Date.now();
  const person = d.person ?? d.by;
  const note = (d.note ?? '').trim();
  if (note.length > MAX_TEXT) throw new TresorError('E_INVALID', `the note is longer than ${MAX_TEXT} characters`);
  const r = await store.tx((): { row: ApprovalRow; refused?: 'own-request' | 'beneficiary' | 'no-permission' | 'expired' | 'decided' | 'reject-only' } | null => {
    const row = store.approvals.get(id);
    if (!row) return null;
    const refuse = (why: 'own-request' | 'beneficiary' | 'no-permission' | 'reject-only') => {
      log.appendSync([{ actor: d.by, action: 'approval.refused', target: row.target, detail: { approval: id, kind: row.kind, why } }]);
      return { row, refused: why };
    };
    if (row.state !== 'pending') return { row, refused: 'decided' };
    if (row.expiresAt <= now) {
      const expired: ApprovalRow = { ...row, state: 'expired' };
      store.approvals.put(expired);
      log.appendSync([{ actor: 'system:approvals', action: 'approval.expired', target: row.target, detail: { approval: id, kind: row.kind } }]);
      return { row: expired, refused: 'expired' };
    }
    if (!can(d.roles, 'approvals.decide')) return refuse('no-permission');
    if (person === row.requester || d.by === row.requestedBy) return refuse('own-request');
    if (row.beneficiaries?.includes(person)) return refuse('beneficiary');
    if (d.approve && row.rejectOnly) return refuse('reject-only');
    const next: ApprovalRow = {
      ...row, state: d.approve ? 'approved' : 'rejected', decidedBy: d.by, decider: person, decidedAt: now, ...(note ? { note } : {}),
    };
    store.approvals.put(next);
    log.appendSync([{
      actor: d.by, action: d.approve ? 'approval.approved' : 'approval.rejected', target: row.target,
      detail: { approval: id, kind: row.kind, requestedBy: row.requestedBy },
    }]);
    return { row: next };
  });
  if (!r) throw new TresorError('E_NOT_FOUND', `no approval request ${id}`);
  switch (r.refused) {
    case 'own-request':
      throw new TresorError('E_FOUR_EYES', 'you asked for this yourself: a second, different person has to decide (four-eyes rule)', { detail: { reason: 'own-request' } });
    case 'beneficiary':
      throw new TresorError('E_FOUR_EYES', 'this request is about you: a different person has to decide it (four-eyes rule)', { detail: { reason: 'beneficiary' } });
    case 'no-permission':
      throw new TresorError('E_FORBIDDEN', 'deciding four-eyes requests needs the approvals.decide permission (roles admin or dpo)', { detail: { reason: 'no-permission' } });
    case 'reject-only':
      throw new TresorError('E_REJECT_ONLY', `this request comes from the configuration file, whose author nobody can check: it takes effect after its grace period (${r.row.graceUntil ? new Date(r.row.graceUntil).toISOString() : '?'}) unless rejected; it cannot be approved earlier`, { detail: { reason: 'reject-only' } });
    case 'expired':
      throw new TresorError('E_EXPIRED', `this request expired on ${new Date(r.row.expiresAt).toISOString()}; ask again if it is still needed`, { detail: { reason: 'expired' } });
    case 'decided':
      throw new TresorError('E_ALREADY_DECIDED', `this request was already decided (${r.row.state}${r.row.decidedBy ? ` by ${r.row.decidedBy}` : ''})`, { detail: { reason: 'decided' } });
    default:
      return r.row;
  }
}

/**
 * The grace period of a pending request is over and nobody rejected it: it counts as
 * approved (by `system:approvals`, logged with the grace time). Returns null when it is
 * not pending, has no grace, or the grace is not over yet.
 */
export async function approveByGrace(store: IndexStore, log: LogWriter, id: string, now: number): Promise<ApprovalRow | null> {
  return store.tx(() => {
    const row = store.approvals.get(id);
    if (!row || row.state !== 'pending' || row.graceUntil === undefined || row.graceUntil > now) return null;
    const next: ApprovalRow = { ...row, state: 'approved', decidedBy: 'system:approvals', decider: 'grace period', decidedAt: now };
    store.approvals.put(next);
    log.appendSync([{
      actor: 'system:approvals', action: 'approval.approved', target: row.target,
      detail: { approval: id, kind: row.kind, requestedBy: row.requestedBy, grace: true, graceUntil: new Date(row.graceUntil).toISOString() },
    }]);
    return next;
  });
}

/**
 * Runs the action of an approved request at most once: a claim in LMDB marks it running
 * (a second caller, or a second click, is refused), success marks it done. A failed run
 * leaves it approved with the error code, so it can be run again; a claim left by a
 * process that died is taken over.
 */
export async function runApproved<T extends Record<string, unknown>>(
  store: IndexStore, id: string, action: (row: ApprovalRow) => Promise<T>, now: () => number = Date.now,
): Promise<{ row: ApprovalRow; result: T }> {
  const me = { pid: process.pid, pidStart: processStartTime(process.pid), at: now() };
  const claimed = await store.tx((): ApprovalRow | string => {
    const row = store.approvals.get(id);
    if (!row) return 'missing';
    if (row.state !== 'approved') return row.state;
    if (row.running && processAlive(row.running.pid, row.running.pidStart)) return 'running';
    const next = { ...row, running: me };
    store.approvals.put(next);
    return next;
  });
  if (claimed === 'missing') throw new TresorError('E_NOT_FOUND', `no approval request ${id}`);
  if (typeof claimed === 'string') {
    throw new TresorError('E_CONFLICT', claimed === 'done' ? 'this request was carried out already'
      : claimed === 'running' ? 'this request is being carried out right now' : `this request is ${claimed}, not approved`,
    { detail: { reason: claimed } });
  }
  let result: T;
  try {
    result = await action(claimed);
  } catch (e) {
    const code = e instanceof TresorError ? e.code : 'E_INTERNAL';
    await store.tx(() => {
      const row = store.approvals.get(id);
      if (row) store.approvals.put({ ...row, running: undefined, result: { error: code } });
    });
    throw e;
  }
  const done = await store.tx(() => {
    const row = store.approvals.get(id)!;
    const next: ApprovalRow = { ...row, state: 'done', running: undefined, executedAt: now(), result };
    store.approvals.put(next);
    return next;
  });
  return { row: done, result };
}

export function getApproval(store: IndexStore, id: string): ApprovalRow | undefined {
  return store.approvals.get(id);
}

/** Requests waiting for a decision (not expired), oldest first. */
export function pendingApprovals(store: IndexStore, opts: { now?: number; requestedBy?: string; target?: string } = {}): ApprovalRow[] {
  const { now = Date.now(), ...filter } = opts;
  return store.approvals.pending(now, filter);
}

/** Approved but not carried out (a crash, a failed action): shown so someone runs them. */
export function approvedNotDone(store: IndexStore): ApprovalRow[] {
  return store.approvals.approvedNotDone();
}

/** Every request, oldest first (ids are time-sortable). */
export function listApprovals(store: IndexStore, opts: { since?: number } = {}): ApprovalRow[] {
  return store.approvals.all(opts);
}

/** Marks pending requests past their time as expired (and logs it); for the scheduler. */
export async function expireApprovals(store: IndexStore, log: LogWriter, now: number = Date.now()): Promise<number> {
  return store.tx(() => {
    const overdue = store.approvals.overdue(now);
    for (const r of overdue) {
      store.approvals.put({ ...r, state: 'expired' });
      log.appendSync([{ actor: 'system:approvals', action: 'approval.expired', target: r.target, detail: { approval: r.id, kind: r.kind } }]);
    }
    return overdue.length;
  });
}
