import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore, PolicyRow, RecordingRow } from '../store/index.ts';
import { evaluate, lockProblem, samePolicy, validatePolicy, type Policy } from '../policy/index.ts';
import { clockHold } from './clock-state.ts';

/**
 * The stored retention policies (GDPR Art. 5(1)(e)): the table's rows, their changes
 * under the lock and four-eyes rules, and re-evaluation of every expiry. What a policy
 * is, what it matches and how long it keeps is the pure src/policy/retention.ts.
 */

export function listPolicies(store: IndexStore): PolicyRow[] {
  return store.policies.all();
}

/** The four-eyes kind for a policy change that makes calls due earlier (src/retention/policy-change.ts). */
export const POLICY_CHANGE_KIND = 'policy.change';

/** One call whose expiry a policy change moves earlier (or gives one it did not have). */
export interface EarlierCall {
  id: string;
  start: number;
  durationMs: number;
  queue: string | null;
  before: number | null;
  after: number;
}

export interface PolicyImpact {
  /** every call whose expiry comes earlier, soonest first */
  earlier: EarlierCall[];
  /** of those, how many would be due at `now` (the next purge takes them) */
  dueNow: number;
}

/** The policy set with `name` replaced by `next` (or removed). */
function withChange(policies: readonly Policy[], name: string, next: Policy | null): Policy[] {
  return [...policies.filter((p) => p.name !== name), ...(next ? [next] : [])];
}

/**
 * The dry run of a policy change: which stored calls would be due earlier than they are
 * now (a shorter keep, a wider match, a new policy where none applied, the removal of
 * the longer of two). Calls waiting for the clock confirmation have no expiry to move.
 */
export function policyImpact(store: IndexStore, name: string, next: Policy | null, now = Date.now()): PolicyImpact {
  const changed = withChange(listPolicies(store), name, next);
  const earlier: EarlierCall[] = [];
  for (const { value } of store.recordings.getRange()) {
    const row = value as RecordingRow;
    if (row.retention?.awaitingClock) continue;
    const before = row.retention?.expiresAt ?? null;
    const after = evaluate(changed, row).expiresAt;
    if (after !== null && (before === null || after < before)) {
      earlier.push({ id: row.id, start: row.start, durationMs: row.durationMs, queue: row.queue, before, after });
    }
  }
  earlier.sort((a, b) => a.after - b.after || (a.id < b.id ? -1 : 1));
  return { earlier, dueNow: earlier.filter((e) => e.after <= now).length };
}

/** An approved (or elapsed-grace) request for exactly this change. */
function approves(a: { kind: string; target: string; state: string; payload: Record<string, unknown> } | undefined, name: string, next: Policy | null): boolean {
  return !!a && a.kind === POLICY_CHANGE_KIND && a.target === `policy:${name}` && (a.state === 'approved' || a.state === 'done')
    && samePolicy(a.payload.next as Policy | null, next);
}

export interface SaveOptions {
  now?: number;
  /** the approved request that allows a change making calls due earlier (four-eyes or grace) */
  approval?: { id: string; kind: string; target: string; state: string; payload: Record<string, unknown> };
}

/**
 * Saves (creates or changes) a policy, or removes it (`next` null), then re-evaluates
 * every recording's expiry. The lock check runs inside the write transaction, so two
 * writers cannot race past it.
 *
 * A change that makes stored calls due earlier than they are (issue 9 #11: one admin
 * shortened 90 days to 6 and pressed "Run purge now": 124 calls gone, no second person)
 * is refused here — for the console, the CLI and the configuration file alike — unless
 * `approval` is an approved `policy.change` request for exactly this change: a second
 * person agreed, or the grace period the request stated has passed (policy-change.ts).
 * The refusal (E_NEEDS_APPROVAL) carries the dry run.
 */
export async function savePolicy(
  store: IndexStore, log: LogWriter, by: string, name: string, next: Policy | null, opts: SaveOptions | number = {},
): Promise<{ reevaluated: number; changed: number }> {
  const o: SaveOptions = typeof opts === 'number' ? { now: opts } : opts;
  const now = o.now ?? Date.now();
  const policy = next ? validatePolicy(next) : null;
  if (policy && policy.name !== name) throw new TresorError('E_INVALID', 'a policy cannot be renamed (remove it and add a new one)');
  const lock = lockProblem(store.policies.get(name), policy);
  const impact = lock || approves(o.approval, name, policy) ? null : policyImpact(store, name, policy, now);
  const problem = await store.tx(() => {
    const old = store.policies.get(name);
    const why = lockProblem(old, policy);
    if (why) {
      log.appendSync([{ actor: by, action: 'retention.policy.refused', target: `policy:${name}`, detail: { why } }]);
      return why;
    }
    if (!old && !policy) return `no policy "${name}"`;
    if (impact?.earlier.length) {
      log.appendSync([{ actor: by, action: 'retention.policy.refused', target: `policy:${name}`, detail: { why: 'needs-approval', earlier: impact.earlier.length, dueNow: impact.dueNow } }]);
      return 'needs-approval';
    }
    if (policy) {
      const row: PolicyRow = { v: 1, ...policy, createdAt: old?.createdAt ?? now, createdBy: old?.createdBy ?? by, updatedAt: now, updatedBy: by };
      store.policies.put(row);
    } else store.policies.remove(name);
    log.appendSync([{
      actor: by, action: policy ? 'retention.policy.saved' : 'retention.policy.removed', target: `policy:${name}`,
      detail: {
        ...(policy ? { keep: policy.keep, lock: policy.lock, match: policy.match, previousKeep: old?.keep ?? null } : { previousKeep: old!.keep }),
        ...(o.approval ? { approval: o.approval.id } : {}),
      },
    }]);
    return null;
  });
  if (problem === 'needs-approval') {
    throw new TresorError('E_NEEDS_APPROVAL',
      `this change makes ${impact!.earlier.length} recording(s) due earlier than now (${impact!.dueNow} of them at once): it takes effect only once a second person approves it, or after a grace period the request states`,
      { detail: { reason: 'needs-approval', earlier: impact!.earlier.length, dueNow: impact!.dueNow } });
  }
  if (problem) throw new TresorError(problem.startsWith('no policy') ? 'E_NOT_FOUND' : 'E_LOCKED', problem);
  return reevaluateAll(store);
}

/**
 * Recomputes every recording's retention (after a policy change, or once the clock is
 * confirmed), in batches. Calls that arrived while the clock was suspect keep waiting
 * (no expiry) for as long as the clock hold lasts.
 */
export async function reevaluateAll(store: IndexStore, batch = 5000): Promise<{ reevaluated: number; changed: number }> {
  const policies = listPolicies(store);
  let reevaluated = 0;
  let changed = 0;
  let after: string | undefined;
  for (;;) {
    const ids: string[] = [];
    for (const k of store.recordings.getKeys({ start: after, limit: batch + (after ? 1 : 0) })) {
      if (k === after) continue;
      ids.push(k as string);
    }
    if (!ids.length) break;
    await store.tx(() => {
      for (const id of ids) {
        const row = store.recordings.get(id) as RecordingRow | undefined;
        if (!row) continue;
        if (row.retention?.awaitingClock && clockHold(store)) continue;
        const r = evaluate(policies, row);
        reevaluated++;
        if (row.retention?.policy === r.policy && row.retention?.expiresAt === r.expiresAt && !row.retention.awaitingClock) continue;
        if (row.retention?.expiresAt != null) store.byExpiry.remove([row.retention.expiresAt, id]);
        if (r.expiresAt != null) store.byExpiry.put([r.expiresAt, id], true);
        store.recordings.put(id, { ...row, retention: r });
        changed++;
      }
    });
    after = ids[ids.length - 1];
  }
  return { reevaluated, changed };
}

