import { newId } from '../core/ids.ts';
import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore } from '../store/index.ts';
import { can, type Role } from '../auth/roles.ts';
import { processAlive, processStartTime } from '../core/index.ts';

/**
 * Four-eyes actions (DESIGN §6): one person asks, a second, different person holding
 * `approvals.decide` agrees, and only then does the caller act. Used for discarding
 * quarantined files; legal-hold release and early deletion reuse it.
 *
 *   pending ──approve──▶ approved ──runApproved──▶ done
 *      │ └──reject───▶ rejected            └─(action failed)─▶ approved (can run again)
 *      └──(7 days)──▶ expired
 *
 * Every step is logged (approval.requested/approved/rejected/expired/refused) against the
 * request's target, so "what happened to quarantine:X" shows the whole story. Reasons and
 * notes are free text people type: they stay in the row, never in the log.
 */
export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired' | 'done';

export interface ApprovalRow {
  id: string;
  /** what is to be done, dotted: quarantine.discard, hold.release, recording.delete-early */
  kind: string;
  /** what it is done to, as the log names it: quarantine:ID, recording:ID */
  target: string;
  /** log actor of the requester (user:NAME, token:ID) */
  requestedBy: string;
  /** the person behind the actor (a user's tokens are the same person) */
  requester: string;
  requestedAt: number;
  expiresAt: number;
  reason: string;
  /** whatever the executor needs; never shown in the log */
  payload: Record<string, unknown>;
  /** people who may not decide besides the requester: whoever the action benefits (a role grant's receiver) */
  beneficiaries?: string[];
  state: ApprovalState;
  decidedBy?: string;
  decider?: string;
  decidedAt?: number;
  note?: string;
  /** set while an approved action runs: who runs it */
  running?: { pid: number; pidStart: string | null; at: number };
  executedAt?: number;
  /** executor's summary (counts, ids), or the error code of the last failed run */
  result?: Record<string, unknown>;
  /**
   * a request that takes effect on its own at this time unless someone rejects it (a
   * policy change with a grace period); a second person may still approve it earlier
   */
  graceUntil?: number;
  /** nobody may approve it early, only reject it (a change from the configuration file: nobody knows who wrote it) */
  rejectOnly?: true;
}

// ─── what a request will do, and what it did (issue 9 #12) ────────────────────────────
//
// An approver decides on facts, not on `recordings:2e274be9…`. Each kind of request
// registers, at wiring, how to describe itself (computed now, so the approver sees the
// state at the moment of deciding) and how to carry itself out. Its executor's result
// says what actually happened: `outcome` 'nothing' when nothing changed (every call was
// under a legal hold, the file was gone already), 'partial' when some of it did.

/** Who looks at a request: the preview shows only what these roles may see. */
export interface ApprovalViewer {
  roles: readonly Role[];
}

/** One call an action touches: non-personal index fields only (no numbers, no names). */
export interface PreviewCall {
  id: string;
  /** null when the viewer may not see call metadata (no recording.search) */
  start: number | null;
  durationMs: number | null;
  queue: string | null;
  /** retention expiry before and after the action, where the action moves it */
  expiresBefore?: number | null;
  expiresAfter?: number | null;
}

export interface ApprovalPreview {
  /** one line in English without personal data (CLI, logs of the console's own tests) */
  summary: string;
  /** facts as label key → value; the console translates the keys it knows */
  facts: { label: string; value: string }[];
  /** the calls the action touches; `rows` may be capped, `total` is not */
  calls?: { total: number; rows: PreviewCall[]; masked: boolean };
  /** calls a legal hold keeps: the hold wins, they stay whatever is approved */
  held?: { id: string; hold: string; caseName: string | null }[];
  /** ids that are no longer in the archive */
  gone?: string[];
}

/** What an executor reports; `outcome` and `summary` are normalised by outcomeOf. */
export interface ApprovalOutcome {
  outcome: 'done' | 'partial' | 'nothing';
  summary: string;
  /** named numbers for the console (deleted, held, gone …) */
  counts?: Record<string, number>;
}

/** One kind of four-eyes request as its owner registers it (issue 10 moves these into src/approvals/). */
export interface ApprovalKind {
  /** what approving would do, computed now; without it the console shows kind and target */
  describe?(row: ApprovalRow, viewer: ApprovalViewer): ApprovalPreview;
  /** carries out an approved request; `actor` is the approver */
  execute(row: ApprovalRow, actor: string): Promise<Record<string, unknown>>;
}

export type ApprovalKinds = Record<string, ApprovalKind>;

/** Calls in a preview are capped so that a request for 1000 calls still renders quickly. */
export const PREVIEW_ROWS = 200;

export function describeApproval(kinds: ApprovalKinds, row: ApprovalRow, viewer: ApprovalViewer): ApprovalPreview {
  const d = kinds[row.kind]?.describe;
  if (d) return d(row, viewer);
  return { summary: `${row.kind} ${row.target}`, facts: [{ label: 'target', value: row.target }] };
}

/** The outcome of a finished request, for results of executors that predate `outcome`. */
export function outcomeOf(result: Record<string, unknown> | undefined): ApprovalOutcome | null {
  if (!result || 'error' in result) return null;
  const o = result.outcome;
  const outcome = o === 'done' || o === 'partial' || o === 'nothing' ? o : 'done';
  const counts = result.counts && typeof result.counts === 'object' ? result.counts as Record<string, number> : undefined;
  return { outcome, summary: typeof result.summary === 'string' ? result.summary : outcome === 'done' ? 'carried out' : outcome, ...(counts ? { counts } : {}) };
}

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
  const existing = await store.root.transaction(() => {
    for (const { value } of store.approvals.getRange()) {
      const r = value as ApprovalRow;
      if (r.state === 'pending' && r.expiresAt > now && r.kind === row.kind && r.target === row.target) return r;
    }
    store.approvals.put(row.id, row);
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
  const r = await store.root.transaction((): { row: ApprovalRow; refused?: 'own-request' | 'beneficiary' | 'no-permission' | 'expired' | 'decided' | 'reject-only' } | null => {
    const row = store.approvals.get(id) as ApprovalRow | undefined;
    if (!row) return null;
    const refuse = (why: 'own-request' | 'beneficiary' | 'no-permission' | 'reject-only') => {
      log.appendSync([{ actor: d.by, action: 'approval.refused', target: row.target, detail: { approval: id, kind: row.kind, why } }]);
      return { row, refused: why };
    };
    if (row.state !== 'pending') return { row, refused: 'decided' };
    if (row.expiresAt <= now) {
      const expired: ApprovalRow = { ...row, state: 'expired' };
      store.approvals.put(id, expired);
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
    store.approvals.put(id, next);
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
  return store.root.transaction(() => {
    const row = store.approvals.get(id) as ApprovalRow | undefined;
    if (!row || row.state !== 'pending' || row.graceUntil === undefined || row.graceUntil > now) return null;
    const next: ApprovalRow = { ...row, state: 'approved', decidedBy: 'system:approvals', decider: 'grace period', decidedAt: now };
    store.approvals.put(id, next);
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
  const claimed = await store.root.transaction((): ApprovalRow | string => {
    const row = store.approvals.get(id) as ApprovalRow | undefined;
    if (!row) return 'missing';
    if (row.state !== 'approved') return row.state;
    if (row.running && processAlive(row.running.pid, row.running.pidStart)) return 'running';
    const next = { ...row, running: me };
    store.approvals.put(id, next);
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
    await store.root.transaction(() => {
      const row = store.approvals.get(id) as ApprovalRow | undefined;
      if (row) store.approvals.put(id, { ...row, running: undefined, result: { error: code } });
    });
    throw e;
  }
  const done = await store.root.transaction(() => {
    const row = store.approvals.get(id) as ApprovalRow;
    const next: ApprovalRow = { ...row, state: 'done', running: undefined, executedAt: now(), result };
    store.approvals.put(id, next);
    return next;
  });
  return { row: done, result };
}

export function getApproval(store: IndexStore, id: string): ApprovalRow | undefined {
  return store.approvals.get(id) as ApprovalRow | undefined;
}

/** Requests waiting for a decision (not expired), oldest first. */
export function pendingApprovals(store: IndexStore, opts: { now?: number; requestedBy?: string; target?: string } = {}): ApprovalRow[] {
  const now = opts.now ?? Date.now();
  return listApprovals(store).filter((r) => r.state === 'pending' && r.expiresAt > now
    && (opts.requestedBy === undefined || r.requestedBy === opts.requestedBy)
    && (opts.target === undefined || r.target === opts.target));
}

/** Approved but not carried out (a crash, a failed action): shown so someone runs them. */
export function approvedNotDone(store: IndexStore): ApprovalRow[] {
  return listApprovals(store).filter((r) => r.state === 'approved');
}

/** Every request, oldest first (ids are time-sortable). */
export function listApprovals(store: IndexStore, opts: { since?: number } = {}): ApprovalRow[] {
  const out: ApprovalRow[] = [];
  for (const { value } of store.approvals.getRange()) {
    const r = value as ApprovalRow;
    if (opts.since === undefined || r.requestedAt >= opts.since) out.push(r);
  }
  return out;
}

/** Marks pending requests past their time as expired (and logs it); for the scheduler. */
export async function expireApprovals(store: IndexStore, log: LogWriter, now: number = Date.now()): Promise<number> {
  return store.root.transaction(() => {
    let n = 0;
    for (const { key, value } of store.approvals.getRange()) {
      const r = value as ApprovalRow;
      if (r.state !== 'pending' || r.expiresAt > now) continue;
      store.approvals.put(key, { ...r, state: 'expired' });
      log.appendSync([{ actor: 'system:approvals', action: 'approval.expired', target: r.target, detail: { approval: r.id, kind: r.kind } }]);
      n++;
    }
    return n;
  });
}
