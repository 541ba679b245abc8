import { createHash } from 'node:crypto';
import { TresorError } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore, RecordingRow } from '../index/index.ts';
import { requestApproval, type ApprovalRow } from './approvals.ts';
import { activeHolds, heldBy, HOLD_RELEASE_KIND, releaseHold } from './holds.ts';
import { shred, type PurgeDeps } from './purge.ts';

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
  if (!ids.length) throw new TresorError('E_USAGE', 'name at least one recording id to delete', { detail: { reason: 'no-ids' } });
  if (ids.length > MAX_DELETE_IDS) throw new TresorError('E_USAGE', `at most ${MAX_DELETE_IDS} recordings per request`, { detail: { reason: 'too-many' } });
  const malformed = typed.filter((id) => !isId(id.toUpperCase()));
  if (malformed.length) throw new TresorError('E_USAGE', `not recording ids: ${malformed.slice(0, 10).join(', ')}`, { detail: { reason: 'malformed-id', ids: malformed } });
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
    const row = store.recordings.get(id) as RecordingRow | undefined;
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
}

/** The executor of an approved `recording.delete` request; `by` is the approver. */
export async function executeDeletion(deps: PurgeDeps, row: ApprovalRow, by: string, now: number = Date.now()): Promise<DeletionResult> {
  if (row.kind !== DELETE_KIND || row.state !== 'approved') throw new TresorError('E_FORBIDDEN', `early deletion needs an approved ${DELETE_KIND} request`);
  const ids = Array.isArray(row.payload.ids) ? (row.payload.ids as unknown[]).filter((x): x is string => typeof x === 'string' && isId(x)) : [];
  const r = await shred(deps, ids, { by, now, reason: 'request', run: null, approval: row.id });
  const held: DeletionResult['held'] = [];
  const skipped: DeletionResult['skipped'] = [];
  for (const s of r.skipped) {
    const m = /^legal hold (\S+)$/.exec(s.why);
    if (m) held.push({ id: s.id, hold: m[1]! });
    else skipped.push(s);
  }
  if (r.purged.length) await deps.log.checkpointNow();
  return { purged: r.purged.map((p) => p.id), held, skipped };
}

/** Executors of the retention kinds of four-eyes requests, keyed by kind (plugged into /approvals and `tresor approve`). */
export function retentionExecutors(deps: PurgeDeps): Record<string, (row: ApprovalRow, actor: string) => Promise<Record<string, unknown>>> {
  return {
    [HOLD_RELEASE_KIND]: (row, actor) => releaseHold(deps.store, deps.log, String(row.payload.holdId ?? row.target.replace(/^hold:/, '')), { by: actor, approval: row }),
    [DELETE_KIND]: (row, actor) => executeDeletion(deps, row, actor),
  };
}
