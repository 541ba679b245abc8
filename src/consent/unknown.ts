// The unknown-consent decision (issue 12, item 4). A call whose consent is `unknown` sits
// on the review list (`tresor consent review`); once `consent.unknownDays` have passed
// since it was archived and nobody proved consent (a later PBX/CRM event, a confirmed
// finding), the no-consent policy decides per call, as `consent.unknownAction` says:
//   erase    — crypto-shred through the purge machinery (tombstone reason consent-unknown):
//              § 201 StGB makes a recording without consent unlawful to keep, and GDPR
//              Art. 5(1)(e) forbids keeping what has no basis;
//   restrict — keep it behind the barrier `restricted:consent-unknown` (Art. 18(1)(b):
//              the lawfulness is open), which the access door opens only for a dpo giving
//              a legal-claims reason.
// Legal holds win over erasure (a hold keeps evidence for proceedings): a held call is
// skipped, logged once per hold episode. The decision reads the wall clock, so it runs
// only behind the purge's clock guard: a clock jumped a month ahead must not erase calls.
import type { IndexStore, RecordingRow } from '../store/index.ts';
import type { NewLogEntry } from '../core/types.ts';
import type { Config } from '../config/index.ts';
import { shred, type PurgeDeps } from '../retention/purge.ts';
import { activeHolds, heldBy } from '../retention/holds.ts';
import { checkClock, clockHold, clockProblem } from '../retention/clock-guard.ts';
import type { ClockHold } from '../store/index.ts';

export const CONSENT_UNKNOWN = 'consent-unknown';
/** the barrier of a call kept restricted after its consent stayed unknown */
export const CONSENT_UNKNOWN_BARRIER = `restricted:${CONSENT_UNKNOWN}`;
/** the review mark the ingest gate sets (src/policy/consent-gate.ts); gone once decided */
const REVIEW_MARK = 'consent-review';
/** set when a legal hold kept a call from erasure, so the skip is logged once, not every night */
const HELD_MARK = 'consent-unknown-held';
const DAY = 86_400_000;

export type UnknownAction = Config['consent']['unknownAction'];

export interface UnknownCall {
  id: string;
  start: number;
  ingestedAt: number;
  /** when consent.unknownDays end for it */
  decideAfter: number;
}

/** Every call with unknown consent that the policy has not decided yet, oldest archived first. */
export function undecidedUnknown(store: IndexStore, unknownDays: number): UnknownCall[] {
  const out: UnknownCall[] = [];
  let before: [number, string] | undefined;
  for (;;) {
    const page = store.recordings.search({ consentState: 'unknown', limit: 500, ...(before ? { before } : {}) });
    for (const r of page.rows) {
      if (r.marks?.includes(CONSENT_UNKNOWN_BARRIER)) continue;
      out.push({ id: r.id, start: r.start, ingestedAt: r.ingestedAt, decideAfter: r.ingestedAt + unknownDays * DAY });
    }
    if (!page.next) break;
    before = page.next;
  }
  return out.sort((a, b) => a.ingestedAt - b.ingestedAt || (a.id < b.id ? -1 : 1));
}

export interface UnknownPlan {
  now: number;
  action: UnknownAction;
  unknownDays: number;
  /** decided now: erased or restricted */
  due: UnknownCall[];
  /** due, but a legal hold keeps them from erasure (restrict ignores holds: it destroys nothing) */
  held: (UnknownCall & { hold: string })[];
}

export function planUnknown(store: IndexStore, o: { now: number; action: UnknownAction; unknownDays: number }): UnknownPlan {
  const plan: UnknownPlan = { now: o.now, action: o.action, unknownDays: o.unknownDays, due: [], held: [] };
  const holds = activeHolds(store);
  for (const c of undecidedUnknown(store, o.unknownDays)) {
    if (c.decideAfter > o.now) continue;
    const hold = o.action === 'erase' ? heldBy(store, store.recordings.get(c.id)!, holds) : null;
    if (hold) plan.held.push({ ...c, hold });
    else plan.due.push(c);
  }
  return plan;
}

export type UnknownOutcome =
  | { kind: 'off' }
  | { kind: 'held'; hold: ClockHold }
  | { kind: 'dry-run'; plan: UnknownPlan }
  | { kind: 'done'; plan: UnknownPlan; erased: string[]; restricted: string[]; held: { id: string; hold: string }[]; skipped: { id: string; why: string }[] };

export interface DecideOptions {
  by: string;
  now: number;
  /** consent.policy: null = the no-consent policy is off and nothing is decided */
  policy: Config['consent']['policy'];
  action: UnknownAction;
  unknownDays: number;
  maxJumpMs: number;
  dryRun?: boolean;
}

const decided = (by: string, row: RecordingRow, o: DecideOptions): NewLogEntry => ({
  actor: by, action: 'consent.unknown.decided', target: `recording:${row.id}`,
  detail: { action: o.action, unknownDays: o.unknownDays, ingestedAt: new Date(row.ingestedAt).toISOString() },
});

/** Still undecided, still unknown, still due: the re-check inside each transaction (an event may have granted consent since the plan). */
function stillDue(row: RecordingRow, o: DecideOptions): string | null {
  if (row.consentState !== 'unknown') return `consent is ${row.consentState} now`;
  if (row.marks?.includes(CONSENT_UNKNOWN_BARRIER)) return 'decided already';
  if (row.ingestedAt + o.unknownDays * DAY > o.now) return 'not due';
  return null;
}

/** The decision for every due call: the clock guard first, then a dry run or the real thing. */
export async function decideUnknown(deps: PurgeDeps, o: DecideOptions): Promise<UnknownOutcome> {
  const { store, log } = deps;
  if (o.policy === null) return { kind: 'off' };
  const existing = clockHold(store);
  if (existing) return { kind: 'held', hold: existing };
  if (o.dryRun) {
    const problem = clockProblem(store, o.now, o.maxJumpMs);
    if (problem) return { kind: 'held', hold: { since: o.now, reason: problem } };
    return { kind: 'dry-run', plan: planUnknown(store, o) };
  }
  const hold = await checkClock(store, log, o.now, o.maxJumpMs);
  if (hold) return { kind: 'held', hold };
  const plan = planUnknown(store, o);
  const out = { kind: 'done' as const, plan, erased: [] as string[], restricted: [] as string[], held: [] as { id: string; hold: string }[], skipped: [] as { id: string; why: string }[] };
  const ids = plan.due.map((c) => c.id);
  if (o.action === 'erase') {
    const r = await shred(deps, ids, {
      by: o.by, now: o.now, reason: CONSENT_UNKNOWN, run: null,
      check: (row) => stillDue(row, o), lead: (row) => [decided(o.by, row, o)],
    });
    out.erased = r.purged.map((p) => p.id);
    for (const s of r.skipped) {
      const m = /^legal hold (\S+)$/.exec(s.why);
      if (m) plan.held.push({ ...plan.due.find((c) => c.id === s.id)!, hold: m[1]! });
      else out.skipped.push(s);
    }
    out.held = await logHeld(deps, plan.held, o);
    if (out.erased.length) await log.checkpointNow();
  } else {
    for (let i = 0; i < ids.length; i += 250) {
      const batch = ids.slice(i, i + 250);
      await store.tx(() => {
        const entries: NewLogEntry[] = [];
        for (const id of batch) {
          const row = store.recordings.get(id);
          const why = row ? stillDue(row, o) : 'gone';
          if (!row || why) {
            out.skipped.push({ id, why: why! });
            continue;
          }
          store.recordings.setMarks(id, [...(row.marks ?? []).filter((m) => m !== REVIEW_MARK && m !== HELD_MARK), CONSENT_UNKNOWN_BARRIER].sort());
          entries.push(decided(o.by, row, o));
          // the same entry an Art. 18 restriction by hand writes (src/privacy/restriction.ts)
          entries.push({ actor: o.by, action: 'recording.restricted', target: `recording:${id}`, detail: { reason: CONSENT_UNKNOWN, requestId: null } });
          out.restricted.push(id);
        }
        if (entries.length) log.appendSync(entries);
      });
    }
  }
  return out;
}

/** Logs `consent.unknown.skipped` for a held call the first time a hold keeps it (the mark remembers). */
async function logHeld(deps: PurgeDeps, held: { id: string; hold: string }[], o: DecideOptions): Promise<{ id: string; hold: string }[]> {
  if (!held.length) return [];
  await deps.store.tx(() => {
    const entries: NewLogEntry[] = [];
    for (const h of held) {
      const row = deps.store.recordings.get(h.id);
      if (!row || row.marks?.includes(HELD_MARK)) continue;
      deps.store.recordings.setMarks(h.id, [...(row.marks ?? []), HELD_MARK].sort());
      entries.push({ actor: o.by, action: 'consent.unknown.skipped', target: `recording:${h.id}`, detail: { action: o.action, why: 'legal-hold', hold: h.hold, unknownDays: o.unknownDays } });
    }
    if (entries.length) deps.log.appendSync(entries);
  });
  return held.map((h) => ({ id: h.id, hold: h.hold }));
}

/** The options from the settings (the CLI and the scheduled run use the same). */
export function decideOptions(config: Config, by: string, now: number, dryRun = false): DecideOptions {
  return {
    by, now, dryRun, policy: config.consent.policy, action: config.consent.unknownAction, unknownDays: config.consent.unknownDays,
    maxJumpMs: config.retention.maxClockJumpHours * 3600_000,
  };
}
