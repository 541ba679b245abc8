import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore, PolicyRow, RecordingRow } from '../store/index.ts';
import { can } from '../auth/roles.ts';
import { APPROVAL_TTL_MS, approveByGrace, decide, listApprovals, pendingApprovals, PREVIEW_ROWS, requestApproval, runApproved, type ApprovalKind, type ApprovalPreview, type ApprovalViewer } from '../approvals/index.ts';
import { type ApprovalRow } from '../store/index.ts';
import { activeHolds, getHold, heldBy } from './holds.ts';
import { listPolicies, POLICY_CHANGE_KIND, policyImpact, savePolicy } from './policies.ts';
import { lockProblem, samePolicy, validatePolicy, type Policy } from '../policy/index.ts';
import type { PurgeDeps } from './purge.ts';

/**
 * Policy changes that make calls due earlier (issue 9 #11). savePolicy refuses them
 * alone; they go through a `policy.change` four-eyes request instead, which
 *
 * - shows the dry run (how many calls, which, how many at once, which a hold keeps)
 *   to the requester before asking and to the approver before deciding;
 * - takes effect when a second, different admin/dpo approves it, or — when the request
 *   states a grace period (at least MIN_GRACE_DAYS) — on its own once that period is
 *   over and nobody rejected it (the log has the date from the moment of the request);
 * - is refused at execution when the policy was changed meanwhile (ask again).
 *
 * A configuration file that shortens a policy cannot be trusted to be a second person
 * (nobody knows who edited it). At start the stored policy therefore stays in force and a
 * reject-only request from `config` is filed with `retention.configGraceDays`: it applies
 * after that grace unless an admin or dpo rejects it. For an earlier effect, make the same
 * change on the console or with `tresor retention set`, where four eyes can approve it.
 */
export const MIN_GRACE_DAYS = 7;
const DAY = 86_400_000;

export interface ChangeRequestInput {
  name: string;
  /** the policy as it is to be; null removes it */
  next: Policy | null;
  reason: string;
  /** the person behind `by` */
  person?: string;
  /** takes effect on its own after this many days unless rejected */
  graceDays?: number;
  rejectOnly?: boolean;
  now?: number;
}

interface ChangePayload {
  name: string;
  next: Policy | null;
  /** the policy when the request was made: the change applies only on top of this */
  base: Policy | null;
}

const policyOf = (r: PolicyRow | undefined): Policy | null => (r ? { name: r.name, match: r.match, keep: r.keep, lock: r.lock } : null);

export async function requestPolicyChange(store: IndexStore, log: LogWriter, by: string, input: ChangeRequestInput) {
  const now = input.now ?? Date.now();
  const next = input.next ? validatePolicy(input.next) : null;
  if (next && next.name !== input.name) throw new TresorError('E_INVALID', 'a policy cannot be renamed (remove it and add a new one)');
  const base = policyOf(store.policies.get(input.name));
  if (!base && !next) throw new TresorError('E_NOT_FOUND', `no policy "${input.name}"`);
  const lock = lockProblem(base ?? undefined, next);
  if (lock) throw new TresorError('E_LOCKED', lock);
  if (input.graceDays !== undefined && !(Number.isInteger(input.graceDays) && input.graceDays >= MIN_GRACE_DAYS && input.graceDays <= 3650)) {
    throw new TresorError('E_INVALID', `a grace period is a whole number of days, at least ${MIN_GRACE_DAYS}`, { detail: { reason: 'grace' } });
  }
  const impact = policyImpact(store, input.name, next, now);
  if (!impact.earlier.length) {
    throw new TresorError('E_INVALID', 'this change makes no recording due earlier: save it directly, it needs no approval', { detail: { reason: 'no-approval-needed' } });
  }
  const graceUntil = input.graceDays !== undefined ? now + input.graceDays * DAY : undefined;
  const payload: ChangePayload = { name: input.name, next, base };
  return requestApproval(store, log, {
    kind: POLICY_CHANGE_KIND, target: `policy:${input.name}`, by, person: input.person, reason: input.reason, now,
    payload: payload as unknown as Record<string, unknown>, graceUntil, rejectOnly: input.rejectOnly,
    ttlMs: graceUntil !== undefined ? graceUntil - now + APPROVAL_TTL_MS : undefined,
    logDetail: { keep: next?.keep ?? null, previousKeep: base?.keep ?? null, earlier: impact.earlier.length, dueNow: impact.dueNow },
  });
}

const payloadOf = (row: ApprovalRow) => row.payload as unknown as ChangePayload;

function changeText(p: ChangePayload): string {
  const m = (x: Policy | null) => (x ? JSON.stringify(x.match) : '-');
  if (!p.next) return `remove (keep ${p.base?.keep ?? '-'}, match ${m(p.base)})`;
  if (!p.base) return `new: keep ${p.next.keep}, match ${m(p.next)}`;
  const parts = [];
  if (p.base.keep !== p.next.keep) parts.push(`keep ${p.base.keep} → ${p.next.keep}`);
  if (m(p.base) !== m(p.next)) parts.push(`match ${m(p.base)} → ${m(p.next)}`);
  if (p.base.lock !== p.next.lock) parts.push(p.next.lock ? 'lock' : 'unlock');
  return parts.join('; ') || 'unchanged';
}

/** What approving the change would do now: the calls that come due earlier, soonest first. */
export function describePolicyChange(store: IndexStore, row: ApprovalRow, viewer: ApprovalViewer, now = Date.now()): ApprovalPreview {
  const p = payloadOf(row);
  const current = policyOf(store.policies.get(p.name));
  const stale = !samePolicy(current, p.base);
  const impact = policyImpact(store, p.name, p.next, now);
  const search = can(viewer.roles, 'recording.search');
  const holds = activeHolds(store);
  const held: { id: string; hold: string; caseName: string | null }[] = [];
  for (const e of impact.earlier) {
    const r = store.recordings.get(e.id) as RecordingRow | undefined;
    const h = r ? heldBy(store, r, holds) : null;
    if (h) held.push({ id: e.id, hold: h, caseName: can(viewer.roles, 'holds.manage') ? (getHold(store, h)?.caseName ?? null) : null });
  }
  const iso = (t: number) => new Date(t).toISOString();
  return {
    summary: stale
      ? `policy "${p.name}" was changed since this request: carrying it out is refused; ask again`
      : `policy "${p.name}": ${changeText(p)}; ${impact.earlier.length} recording(s) become due earlier, ${impact.dueNow} of them at once${held.length ? ` (${held.length} stay under legal hold)` : ''}`,
    facts: [
      { label: 'policy', value: p.name },
      { label: 'change', value: changeText(p) },
      { label: 'earlier', value: String(impact.earlier.length) },
      { label: 'dueNow', value: String(impact.dueNow) },
      ...(row.graceUntil !== undefined ? [{ label: 'graceUntil', value: iso(row.graceUntil) }] : []),
    ],
    calls: {
      total: impact.earlier.length, masked: !search,
      rows: impact.earlier.slice(0, PREVIEW_ROWS).map((e) => ({
        id: e.id, start: search ? e.start : null, durationMs: search ? e.durationMs : null, queue: search ? e.queue : null,
        expiresBefore: e.before, expiresAfter: e.after,
      })),
    },
    held,
  };
}

/** The executor: applies the change if the policy is still what the request was made on. */
export async function executePolicyChange(store: IndexStore, log: LogWriter, row: ApprovalRow, by: string): Promise<Record<string, unknown>> {
  const p = payloadOf(row);
  const current = policyOf(store.policies.get(p.name));
  if (!samePolicy(current, p.base)) {
    throw new TresorError('E_CONFLICT', `policy "${p.name}" was changed since this request was made; nothing was changed — ask again`, { detail: { reason: 'stale' } });
  }
  const before = policyImpact(store, p.name, p.next).earlier.length;
  const r = await savePolicy(store, log, by, p.name, p.next, { approval: row });
  return {
    outcome: 'done', summary: `policy "${p.name}": ${changeText(p)}; ${r.changed} recording(s) re-evaluated, ${before} due earlier`,
    counts: { earlier: before }, policy: p.name, changed: r.changed,
  };
}

export function policyChangeKind(deps: Pick<PurgeDeps, 'store' | 'log'>): ApprovalKind {
  return {
    describe: (row, viewer) => describePolicyChange(deps.store, row, viewer),
    execute: (row, actor) => executePolicyChange(deps.store, deps.log, row, actor),
  };
}

/**
 * Applies the policy changes whose grace period is over and that nobody rejected.
 * Callers run it only with a trusted clock (a clock that jumped must not end a grace
 * early): the purge after its clock check, the service's clock watch.
 */
export async function applyGraceElapsed(deps: Pick<PurgeDeps, 'store' | 'log'>, now: number): Promise<ApprovalRow[]> {
  const done: ApprovalRow[] = [];
  for (const r of listApprovals(deps.store)) {
    if (r.kind !== POLICY_CHANGE_KIND || r.state !== 'pending' || r.graceUntil === undefined || r.graceUntil > now) continue;
    const approved = await approveByGrace(deps.store, deps.log, r.id, now);
    if (!approved) continue;
    try {
      done.push((await runApproved(deps.store, r.id, (row) => executePolicyChange(deps.store, deps.log, row, 'system:retention'))).row);
    } catch {
      // stale (the policy changed meanwhile): it stays approved-not-done with the error, shown on /approvals
    }
  }
  return done;
}

/**
 * Makes the stored policies follow the configuration file's list (policies added on the
 * console stay). Refuses, with the reason, to start on a config that breaks a lock. A
 * change that makes stored calls due earlier is not applied: it becomes a reject-only
 * request from `config` with the configured grace period (see the module comment);
 * returns what was applied and what waits.
 */
export async function syncConfigPolicies(
  store: IndexStore, log: LogWriter, configured: readonly Policy[], o: { graceDays?: number; now?: number } = {},
): Promise<{ applied: number; waiting: { name: string; approval: string; graceUntil: number | null; earlier: number; rejected?: string }[] }> {
  const graceDays = Math.max(MIN_GRACE_DAYS, o.graceDays ?? 30);
  const want = new Map(configured.map((p) => [p.name, validatePolicy(p)]));
  const changes: [string, Policy | null][] = [];
  for (const p of want.values()) {
    if (!samePolicy(policyOf(store.policies.get(p.name)), p)) changes.push([p.name, p]);
  }
  for (const old of listPolicies(store)) if (old.createdBy === 'config' && !want.has(old.name)) changes.push([old.name, null]);
  let applied = 0;
  const waiting: { name: string; approval: string; graceUntil: number | null; earlier: number; rejected?: string }[] = [];
  for (const [name, next] of changes) {
    try {
      await savePolicy(store, log, 'config', name, next, { now: o.now });
      applied++;
      continue;
    } catch (e) {
      if (!(e instanceof TresorError && e.code === 'E_NEEDS_APPROVAL')) throw e;
    }
    // the same change asked for already: waiting, or rejected (then the file needs correcting)
    const same = listApprovals(store).filter((a) => a.kind === POLICY_CHANGE_KIND && a.requestedBy === 'config' && a.target === `policy:${name}` && samePolicy(payloadOf(a).next, next)).at(-1);
    const earlier = policyImpact(store, name, next).earlier.length;
    if (same && (same.state === 'pending' || same.state === 'rejected')) {
      waiting.push({ name, approval: same.id, graceUntil: same.graceUntil ?? null, earlier, ...(same.state === 'rejected' ? { rejected: same.decidedBy ?? '?' } : {}) });
      continue;
    }
    // an older request from the file for another version of this policy is superseded
    for (const a of pendingApprovals(store, { target: `policy:${name}` })) {
      if (a.kind === POLICY_CHANGE_KIND && a.requestedBy === 'config') {
        await decide(store, log, a.id, { by: 'system:config', person: 'system:config', roles: ['admin'], approve: false, note: 'superseded by a newer configuration file' });
      }
    }
    // someone asked for a change of this policy on the console: that request decides first
    const other = pendingApprovals(store, { target: `policy:${name}` }).find((a) => a.kind === POLICY_CHANGE_KIND);
    if (other) {
      waiting.push({ name, approval: other.id, graceUntil: other.graceUntil ?? null, earlier });
      continue;
    }
    const a = await requestPolicyChange(store, log, 'config', {
      name, next, reason: 'the configuration file changes this policy so that stored recordings become due earlier', person: 'config',
      graceDays, rejectOnly: true, now: o.now,
    });
    waiting.push({ name, approval: a.id, graceUntil: a.graceUntil ?? null, earlier });
  }
  return { applied, waiting };
}

/** What the service and the CLI say about a configured change that waits. */
export function configWaitingText(w: { name: string; approval: string; graceUntil: number | null; earlier: number; rejected?: string }): string {
  if (w.rejected) return `tresor: the configuration file changes policy "${w.name}" (${w.earlier} recording(s) due earlier), but ${w.rejected} rejected that (${w.approval}); the stored policy stays in force — correct the file`;
  return `tresor: the configuration file changes policy "${w.name}" so that ${w.earlier} recording(s) become due earlier: the stored policy stays in force${w.graceUntil ? ` until ${new Date(w.graceUntil).toISOString()}` : ' until a second person approves'}, unless someone rejects it on /approvals (${w.approval})`;
}
