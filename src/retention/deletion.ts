import { createHash } from 'node:crypto';
import { TresorError } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore, RecordingRow } from '../store/index.ts';
import { can } from '../auth/roles.ts';
import { PREVIEW_ROWS, requestApproval, requesterOf, type ApprovalKinds, type ApprovalOutcome, type ApprovalPreview, type ApprovalViewer, type PreviewCall } from '../approvals/index.ts';
import { type ApprovalRow } from '../store/index.ts';
import { activeHolds, getHold, heldBy, HOLD_RELEASE_KIND, releaseHold, searchFields } from './holds.ts';
import { shred, type PurgeDeps } from './purge.ts';
import { POLICY_CHANGE_KIND } from './policies.ts';
import { policyChangeKind } from './policy-change.ts';

/**
 * Early deletion (GDPR Art. 17 erasure, a customer's objection, a recording made by
 * mistake): a recording goes before its policy says so. Four-eyes: a holds.manage user
 * asks with a reason (`recording.delete`), a second, different person with
 * approvals.decide approves, and only then the executor crypto-shreds, exactly as the
 * purge does (tombstone with reason 'request' and the approval id, `recording.purged` in
 * the log). Recordings under a legal hold are skipped, and the result says which; a hold
 * always wins over a deletion request.
 */
export const DELETE_KIND = 'recording.delete';
export const MAX_DELETE_IDS = 1000;

export interface DeletionInput {
  ids: string[];
  reason: string;
  /** the person behind `by` (four-eyes compares people, not actors) */
  person?: string;
  now?: number;
}

/** One id → `recording:ID` (the recording's log story shows the request); several → `recordings:<digest of the set>`. */
export function deletionTarget(ids: string[]): string {
  if (ids.length === 1) return `recording:${ids[0]}`;
  return `recordings:${createHash('sha256').update([...ids].sort().join(',')).digest('hex').slice(0, 16)}`;
}

export async function requestDeletion(store: IndexStore, log: LogWriter, by: string, input: DeletionInput): Promise<ApprovalRow> {
  const typed = input.ids.map((s) => s.trim()).filter(Boolean);
  const ids = [...new Set(typed.map((s) => s.toUpperCase()))];
  if (!ids.length) throw new TresorError('E_INVALID', 'name at least one recording id to delete', { detail: { reason: 'no-ids' } });
  if (ids.length > MAX_DELETE_IDS) throw new TresorError('E_INVALID', `at most ${MAX_DELETE_IDS} recordings per request`, { detail: { reason: 'too-many' } });
  const malformed = typed.filter((id) => !isId(id.toUpperCase()));
  if (malformed.length) throw new TresorError('E_INVALID', `not recording ids: ${malformed.slice(0, 10).join(', ')}`, { detail: { reason: 'malformed-id', ids: malformed } });
  const missing = ids.filter((id) => !store.recordings.get(id));
  if (missing.length) {
    const gone = missing.filter((id) => store.purged.get(id));
    throw new TresorError('E_NOT_FOUND', `not in the archive${gone.length ? ` (${gone.length} already purged)` : ''}: ${missing.slice(0, 10).join(', ')}`,
      { detail: { reason: 'unknown-id', ids: missing } });
  }
  return requestApproval(store, log, {
    kind: DELETE_KIND, target: deletionTarget(ids), by, person: input.person, reason: input.reason, payload: { ids }, now: input.now,
  });
}

/** Which of these recordings a hold keeps right now (shown beside a request, before anyone approves). */
export function heldAmong(store: IndexStore, ids: string[]): { id: string; hold: string }[] {
  const holds = activeHolds(store);
  const out: { id: string; hold: string }[] = [];
  for (const id of ids) {
    const row = store.recordings.get(id);
    const hold = row ? heldBy(store, row, holds) : null;
    if (hold) out.push({ id, hold });
  }
  return out;
}

export interface DeletionResult extends Record<string, unknown> {
  purged: string[];
  /** recordings a legal hold kept */
  held: { id: string; hold: string }[];
  /** gone meanwhile (purged by policy, or by another request) */
  skipped: { id: string; why: string }[];
  /** what happened, in one word and one line: a request whose calls were all held did nothing */
  outcome: ApprovalOutcome['outcome'];
  summary: string;
  counts: { deleted: number; held: number; gone: number };
}

/** The executor of an approved `recording.delete` request; `by` is the approver. */
export async function executeDeletion(deps: PurgeDeps, row: ApprovalRow, by: string, now: number = Date.now()): Promise<DeletionResult> {
  if (row.kind !== DELETE_KIND || row.state !== 'approved') throw new TresorError('E_FORBIDDEN', `early deletion needs an approved ${DELETE_KIND} request`);
  const ids = idsOf(row);
  const r = await shred(deps, ids, { by, now, reason: 'request', run: null, approval: row.id });
  const held: DeletionResult['held'] = [];
  const skipped: DeletionResult['skipped'] = [];
  for (const s of r.skipped) {
    const m = /^legal hold (\S+)$/.exec(s.why);
    if (m) held.push({ id: s.id, hold: m[1]! });
    else skipped.push(s);
  }
  if (r.purged.length) await deps.log.checkpointNow();
  const deleted = r.purged.length;
  const outcome = deleted === 0 ? 'nothing' : deleted < ids.length ? 'partial' : 'done';
  const parts = [`${deleted} of ${ids.length} recording(s) deleted`];
  if (held.length) parts.push(`${held.length} kept by legal hold`);
  if (skipped.length) parts.push(`${skipped.length} already gone`);
  return {
    purged: r.purged.map((p) => p.id), held, skipped, outcome, summary: parts.join('; '),
    counts: { deleted, held: held.length, gone: skipped.length },
  };
}

const idsOf = (row: ApprovalRow): string[] =>
  Array.isArray(row.payload.ids) ? (row.payload.ids as unknown[]).filter((x): x is string => typeof x === 'string' && isId(x)) : [];

/** A call as a preview shows it: date, duration, queue for viewers who may search, the id alone for others. */
export function previewCall(row: RecordingRow, viewer: ApprovalViewer): PreviewCall {
  if (!can(viewer.roles, 'recording.search')) return { id: row.id, start: null, durationMs: null, queue: null };
  return { id: row.id, start: row.start, durationMs: row.durationMs, queue: row.queue };
}

function holdNames(store: IndexStore, viewer: ApprovalViewer, held: { id: string; hold: string }[]) {
  const names = can(viewer.roles, 'holds.manage');
  return held.map((h) => ({ ...h, caseName: names ? (getHold(store, h.hold)?.caseName ?? null) : null }));
}

/** What approving an early deletion would do now: the calls, which of them a hold keeps, which are gone. */
export function describeDeletion(store: IndexStore, row: ApprovalRow, viewer: ApprovalViewer): ApprovalPreview {
  const ids = idsOf(row);
  const holds = activeHolds(store);
  const rows: PreviewCall[] = [];
  const held: { id: string; hold: string }[] = [];
  const gone: string[] = [];
  let total = 0;
  for (const id of ids) {
    const r = store.recordings.get(id);
    if (!r) {
      gone.push(id);
      continue;
    }
    total++;
    const hold = heldBy(store, r, holds);
    if (hold) held.push({ id, hold });
    if (rows.length < PREVIEW_ROWS) rows.push(previewCall(r, viewer));
  }
  const deletes = total - held.length;
  return {
    sentence: { key: 'deletion', vars: { n: deletes, by: requesterOf(row) } },
    summary: `deletes ${deletes} of ${ids.length} recording(s) now${held.length ? `; ${held.length} stay under legal hold` : ''}${gone.length ? `; ${gone.length} already gone` : ''}`,
    facts: [{ label: 'deletes', value: String(deletes) }, { label: 'requested', value: String(ids.length) }],
    calls: { total, rows, masked: !can(viewer.roles, 'recording.search') },
    held: holdNames(store, viewer, held),
    gone,
  };
}

/**
 * What releasing a hold would do now: the calls it keeps, and which of them are due —
 * kept by this hold alone, the next purge deletes them.
 */
export function describeHoldRelease(store: IndexStore, row: ApprovalRow, viewer: ApprovalViewer, now = Date.now()): ApprovalPreview {
  const holdId = String(row.payload.holdId ?? row.target.replace(/^hold:/, ''));
  const h = getHold(store, holdId);
  if (!h || h.state !== 'active') {
    return { summary: `hold ${holdId} is ${h ? 'released already' : 'gone'}: nothing to do`, facts: [{ label: 'hold', value: holdId }] };
  }
  const others = activeHolds(store).filter((x) => x.id !== holdId);
  const rows: PreviewCall[] = [];
  let total = 0;
  for (const id of store.recordings.expiringBefore(now)) {
    const r = store.recordings.get(id);
    if (!r || heldBy(store, r, [h]) === null || heldBy(store, r, others) !== null) continue;
    total++;
    if (rows.length < PREVIEW_ROWS) rows.push({ ...previewCall(r, viewer), expiresBefore: r.retention?.expiresAt ?? null });
  }
  const names = can(viewer.roles, 'holds.manage');
  return {
    sentence: { key: 'holdRelease', vars: { hold: names ? h.caseName : holdId, n: total } },
    summary: `releases hold ${holdId} (${h.ids.length} id(s)${h.search ? `, search on ${searchFields(h.search).join(', ')}` : ''}); ${total} call(s) it alone keeps are due: the next purge deletes them`,
    facts: [
      { label: 'hold', value: holdId },
      ...(names ? [{ label: 'case', value: h.caseName }] : []),
      { label: 'holdIds', value: String(h.ids.length) },
      { label: 'holdSearch', value: searchFields(h.search).join(', ') || '–' },
      { label: 'dueAfterRelease', value: String(total) },
    ],
    calls: { total, rows, masked: !can(viewer.roles, 'recording.search') },
  };
}

/** The retention kinds of four-eyes requests, keyed by kind (plugged into /approvals and `tresor approve`). */
export function retentionKinds(deps: PurgeDeps): ApprovalKinds {
  return {
    [HOLD_RELEASE_KIND]: {
      describe: (row, viewer) => describeHoldRelease(deps.store, row, viewer),
      async execute(row, actor) {
        const r = await releaseHold(deps.store, deps.log, String(row.payload.holdId ?? row.target.replace(/^hold:/, '')), { by: actor, approval: row });
        return 'released' in r
          ? { ...r, outcome: 'done', summary: `hold ${r.released} released` }
          : { ...r, outcome: 'nothing', summary: `hold ${r.alreadyReleased} was released already` };
      },
    },
    [DELETE_KIND]: {
      describe: (row, viewer) => describeDeletion(deps.store, row, viewer),
      execute: (row, actor) => executeDeletion(deps, row, actor),
    },
    [POLICY_CHANGE_KIND]: policyChangeKind(deps),
  };
}
