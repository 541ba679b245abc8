// Works-council switches (issue 12, item 6). Analysing employees' speech, transcribing
// their calls and statistics per agent are technical means suited to monitor behaviour or
// performance: the works council co-determines them (§ 87 Abs. 1 Nr. 6 BetrVG), so each
// is OFF until someone switches it on, and every change is logged with who and why.
//
// Lockable like a compliance policy (src/policy/retention.ts lockProblem): once the
// agreement with the works council is in force, the switches are locked; locked, a switch
// can still be turned off (less monitoring never needs the council) but not on, and the
// lock is lifted only by a four-eyes request `works-council.unlock` that a second admin or
// dpo approves (src/approvals/). The state lives in the index (meta), so the service and
// the CLI read the same switches, and the log carries each change.
import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore, ApprovalRow, WorksCouncilRow } from '../store/index.ts';
import { requestApproval, type ApprovalKinds } from '../approvals/index.ts';

export const SWITCHES = ['speech-analysis', 'transcription', 'agent-statistics'] as const;
export type Switch = (typeof SWITCHES)[number];
export const UNLOCK_KIND = 'works-council.unlock';
const TARGET = 'works-council';
const MAX_REASON = 500;

export interface Switches {
  on: Record<Switch, boolean>;
  locked: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}

const OFF: Record<Switch, boolean> = { 'speech-analysis': false, transcription: false, 'agent-statistics': false };

export function isSwitch(s: string): s is Switch {
  return (SWITCHES as readonly string[]).includes(s);
}

export function switchesOf(store: Pick<IndexStore, 'meta'>): Switches {
  const r = store.meta.worksCouncil();
  return { on: { ...OFF, ...(r?.on ?? {}) }, locked: r?.locked ?? false, updatedAt: r ? new Date(r.updatedAt).toISOString() : null, updatedBy: r?.updatedBy ?? null };
}

/** Is `s` switched on right now? Read per call, so a change by the CLI takes effect in the running service. */
export const switchedOn = (store: Pick<IndexStore, 'meta'>, s: Switch): boolean => switchesOf(store).on[s];

function reasonOf(reason: string | undefined): string {
  const r = (reason ?? '').trim();
  if (!r) throw new TresorError('E_INVALID', 'give a reason (e.g. the works agreement it rests on): the log keeps it', { detail: { reason: 'no-reason' } });
  if (r.length > MAX_REASON) throw new TresorError('E_INVALID', `the reason is longer than ${MAX_REASON} characters`);
  return r;
}

const rowOf = (store: Pick<IndexStore, 'meta'>): WorksCouncilRow => store.meta.worksCouncil() ?? { v: 1, on: { ...OFF }, locked: false, updatedAt: 0, updatedBy: '' };

/** Turns one switch on or off; logged `works-council.switched`. Locked: on is refused (E_LOCKED), off is allowed. */
export async function setSwitch(store: IndexStore, log: LogWriter, by: string, s: string, on: boolean, reason: string | undefined): Promise<Switches> {
  if (!isSwitch(s)) throw new TresorError('E_INVALID', `no switch "${s}" (switches: ${SWITCHES.join(', ')})`);
  const why = reasonOf(reason);
  await store.tx(() => {
    const row = rowOf(store);
    const was = row.on[s] ?? false;
    if (on && !was && row.locked) {
      throw new TresorError('E_LOCKED', `the works-council switches are locked: "${s}" cannot be switched on; unlocking needs a second person (tresor speech unlock --reason R)`, { detail: { reason: 'locked', switch: s } });
    }
    if (was === on) return;
    store.meta.putWorksCouncil({ ...row, on: { ...row.on, [s]: on }, updatedAt: Date.now(), updatedBy: by });
    log.appendSync([{ actor: by, action: 'works-council.switched', target: TARGET, detail: { switch: s, on, was, locked: row.locked, reason: why } }]);
  });
  return switchesOf(store);
}

/** Locks the switches as they are (logged `works-council.locked`); one person may lock. */
export async function lockSwitches(store: IndexStore, log: LogWriter, by: string, reason: string | undefined): Promise<Switches> {
  const why = reasonOf(reason);
  await store.tx(() => {
    const row = rowOf(store);
    if (row.locked) throw new TresorError('E_CONFLICT', 'the works-council switches are locked already', { detail: { reason: 'already-locked' } });
    store.meta.putWorksCouncil({ ...row, locked: true, updatedAt: Date.now(), updatedBy: by });
    log.appendSync([{ actor: by, action: 'works-council.locked', target: TARGET, detail: { on: row.on, reason: why } }]);
  });
  return switchesOf(store);
}

/** Asks a second person to lift the lock (four eyes); returns the waiting request. */
export async function requestUnlock(store: IndexStore, log: LogWriter, by: string, reason: string | undefined, person?: string): Promise<ApprovalRow> {
  const why = reasonOf(reason);
  if (!rowOf(store).locked) throw new TresorError('E_INVALID', 'the works-council switches are not locked', { detail: { reason: 'not-locked' } });
  return requestApproval(store, log, { kind: UNLOCK_KIND, target: TARGET, by, person, reason: why, payload: {} });
}

/** The four-eyes kind, registered at wiring (src/site/approvals.ts). */
export function worksCouncilKinds(d: { store: IndexStore; log: LogWriter }): ApprovalKinds {
  return {
    [UNLOCK_KIND]: {
      describe: () => {
        const s = switchesOf(d.store);
        const on = SWITCHES.filter((k) => s.on[k]);
        return {
          summary: `unlock the works-council switches (§ 87(1) no. 6 BetrVG): afterwards any of them can be switched on again; now on: ${on.join(', ') || 'none'}`,
          facts: [{ label: 'locked', value: String(s.locked) }, ...SWITCHES.map((k) => ({ label: k, value: s.on[k] ? 'on' : 'off' }))],
        };
      },
      async execute(row, actor) {
        await d.store.tx(() => {
          const r = rowOf(d.store);
          if (!r.locked) throw new TresorError('E_CONFLICT', 'the works-council switches were unlocked meanwhile', { detail: { reason: 'stale' } });
          d.store.meta.putWorksCouncil({ ...r, locked: false, updatedAt: Date.now(), updatedBy: actor });
          d.log.appendSync([{ actor, action: 'works-council.unlocked', target: TARGET, detail: { approval: row.id, requestedBy: row.requestedBy } }]);
        });
        return { outcome: 'done', summary: 'works-council switches unlocked' };
      },
    },
  };
}
