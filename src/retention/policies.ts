import { TresorError } from '../core/errors.ts';
import type { ConsentState, Direction, LogWriter } from '../core/types.ts';
import type { IndexStore, Policy, PolicyMatch, PolicyRow, RecordingRow } from '../store/index.ts';
import { addDuration, compareDurations, parseDuration } from './duration.ts';
import { clockHold } from './clock-state.ts';

/**
 * Retention policies (GDPR Art. 5(1)(e) storage limitation; MiFID II / § 83 WpHG minimum
 * periods). A recording falls under every policy whose `match` it meets (empty match =
 * all recordings); the one that keeps it LONGEST decides, so a 5-year legal minimum is
 * never undercut by a shorter general rule. No matching policy = no expiry (nothing is
 * deleted without a rule that says so).
 *
 * A locked policy (compliance mode, like S3 Object Lock) can be lengthened, never
 * shortened, narrowed or removed. This module refuses, whoever asks.
 */
// The Policy type is re-exported for config (src/config/schema.ts), which may not import
// the store; it moves to the pure src/policy/ with the matching rules (issue 10 item 6).
export type { Policy, PolicyMatch };

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const MATCH_KEYS = ['queue', 'direction', 'purpose', 'tags', 'consent'] as const;

export function validatePolicy(p: unknown): Policy {
  const o = p as Record<string, unknown>;
  if (!o || typeof o !== 'object') throw new TresorError('E_INVALID', 'a policy is an object {name, match, keep, lock}');
  if (typeof o.name !== 'string' || !NAME_RE.test(o.name)) throw new TresorError('E_INVALID', `policy name ${JSON.stringify(o.name)}: 1-64 letters, digits, space . _ -`);
  const where = `policy "${o.name}"`;
  for (const k of Object.keys(o)) if (!['name', 'match', 'keep', 'lock'].includes(k)) throw new TresorError('E_INVALID', `${where}: unknown field "${k}"`);
  if (typeof o.keep !== 'string') throw new TresorError('E_INVALID', `${where}: keep must be an ISO 8601 duration such as "P90D" or "P5Y"`);
  const d = parseDuration(o.keep);
  if (compareDurations(d, parseDuration('P1D')) < 0) throw new TresorError('E_INVALID', `${where}: keep must be at least one day`);
  const match = (o.match ?? {}) as Record<string, unknown>;
  if (typeof match !== 'object' || Array.isArray(match)) throw new TresorError('E_INVALID', `${where}: match must be an object`);
  const out: PolicyMatch = {};
  for (const [k, v] of Object.entries(match)) {
    if (!(MATCH_KEYS as readonly string[]).includes(k)) throw new TresorError('E_INVALID', `${where}: match.${k} is not a field (${MATCH_KEYS.join(', ')})`);
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x.length > 0)) throw new TresorError('E_INVALID', `${where}: match.${k} must be a string or a list of strings`);
    if (list.length) (out as Record<string, string[]>)[k] = [...new Set(list as string[])].sort();
  }
  if (out.direction?.some((d) => !['in', 'out', 'internal', 'unknown'].includes(d))) throw new TresorError('E_INVALID', `${where}: match.direction: in, out, internal, unknown`);
  if (out.consent?.some((c) => !['granted', 'denied', 'unknown'].includes(c))) throw new TresorError('E_INVALID', `${where}: match.consent: granted, denied, unknown`);
  if (o.lock !== undefined && typeof o.lock !== 'boolean') throw new TresorError('E_INVALID', `${where}: lock must be true or false`);
  return { name: o.name, match: out, keep: o.keep, lock: o.lock === true };
}

export function listPolicies(store: IndexStore): PolicyRow[] {
  return store.policies.all();
}

type Facts = Pick<RecordingRow, 'start' | 'queue' | 'direction' | 'purpose' | 'tags' | 'consentState'>;

export function matches(m: PolicyMatch, r: Facts): boolean {
  if (m.queue && !(r.queue && m.queue.includes(r.queue))) return false;
  if (m.direction && !m.direction.includes(r.direction)) return false;
  if (m.purpose && !(r.purpose && m.purpose.includes(r.purpose))) return false;
  if (m.tags && !r.tags.some((t) => m.tags!.includes(t))) return false;
  if (m.consent && !m.consent.includes(r.consentState)) return false;
  return true;
}

/** The retention of one recording under a set of policies: the longest matching keep. */
export function evaluate(policies: readonly Policy[], r: Facts): { policy: string | null; expiresAt: number | null } {
  let best: { policy: string; expiresAt: number } | null = null;
  for (const p of [...policies].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!matches(p.match, r)) continue;
    const expiresAt = addDuration(r.start, parseDuration(p.keep));
    if (!best || expiresAt > best.expiresAt) best = { policy: p.name, expiresAt };
  }
  return best ?? { policy: null, expiresAt: null };
}

/** Why a change to a locked policy is refused, or null when it is allowed. */
export function lockProblem(old: Policy | undefined, next: Policy | null): string | null {
  if (!old?.lock) return null;
  if (!next) return `policy "${old.name}" is locked: it cannot be removed`;
  if (!next.lock) return `policy "${old.name}" is locked: it cannot be unlocked`;
  if (compareDurations(parseDuration(next.keep), parseDuration(old.keep)) < 0) {
    return `policy "${old.name}" is locked: keep can be lengthened but not shortened (${old.keep} → ${next.keep})`;
  }
  if (JSON.stringify(next.match) !== JSON.stringify(old.match)) return `policy "${old.name}" is locked: what it matches cannot change`;
  return null;
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

const samePolicy = (a: Policy | null | undefined, b: Policy | null | undefined) =>
  JSON.stringify(a ? { match: a.match, keep: a.keep, lock: a.lock } : null) === JSON.stringify(b ? { match: b.match, keep: b.keep, lock: b.lock } : null);

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

export { samePolicy };
