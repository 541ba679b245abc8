import type { LogWriter } from '../core/types.ts';
import type { ApprovalRow, IndexStore } from '../store/index.ts';
import { pendingApprovals, requestApproval, type ApprovalKinds } from '../approvals/index.ts';
import { discardIdsOf, discardQuarantinedMany, discardTarget } from './quarantine.ts';

/**
 * Discarding a quarantined file deletes the only copy of a call for good, so it is a
 * four-eyes action (src/approvals/): one person asks, with a reason; a second approves, and
 * then the executor registered here (src/site/approvals.ts) crypto-shreds the entries.
 */
export const DISCARD_KIND = 'quarantine.discard';

/** Which quarantine entries each pending discard request covers, → who asked (one request may cover many). */
export function pendingDiscards(store: IndexStore, now = Date.now()): Map<string, string> {
  const by = new Map<string, string>();
  for (const a of pendingApprovals(store, { now }).filter((r) => r.kind === DISCARD_KIND)) {
    for (const id of discardIdsOf(a.payload, a.target)) by.set(id, a.requestedBy);
  }
  return by;
}

/**
 * Files the request: a selection is one request (one decision for the whole set instead
 * of one per file: 8 files took 8 rounds, issue 9); a single id keeps the older payload.
 */
export function requestDiscard(
  store: IndexStore, log: LogWriter, o: { ids: string[]; by: string; person: string; reason: string; single?: boolean },
): Promise<ApprovalRow> {
  const single = o.single && o.ids.length === 1;
  return requestApproval(store, log, {
    kind: DISCARD_KIND, target: single ? `quarantine:${o.ids[0]}` : discardTarget(o.ids), by: o.by, person: o.person, reason: o.reason,
    payload: single ? { quarantineId: o.ids[0] } : { quarantineIds: o.ids },
  });
}

/** The executor of an approved discard; `actor` is the approver. */
export function quarantineKinds(deps: { dataDir: string; store: IndexStore; log: LogWriter }): ApprovalKinds {
  return {
    [DISCARD_KIND]: {
      async execute(row, actor) {
        // Entries retried into the archive (or discarded) meanwhile are reported as gone.
        const r = await discardQuarantinedMany({ dataDir: deps.dataDir, store: deps.store, log: deps.log, actor },
          discardIdsOf(row.payload, row.target), { approval: row.id, requestedBy: row.requestedBy });
        const outcome = r.discarded.length === 0 ? 'nothing' : r.gone.length ? 'partial' : 'done';
        return {
          discarded: r.discarded.map((id) => `quarantine:${id}`), gone: r.gone.map((id) => `quarantine:${id}`), outcome,
          summary: `${r.discarded.length} quarantined file(s) discarded${r.gone.length ? `, ${r.gone.length} gone already` : ''}`,
          counts: { discarded: r.discarded.length, gone: r.gone.length },
        };
      },
    },
  };
}
