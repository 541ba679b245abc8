import type { Database } from 'lmdb';

/**
 * A four-eyes request as the store holds it (src/approvals/ has the rules):
 *
 *   pending ──approve──▶ approved ──run──▶ done
 *      │ └──reject───▶ rejected       └─(action failed)─▶ approved (can run again)
 *      └──(7 days)──▶ expired
 *
 * Reasons and notes are free text people type: they stay in the row, never in the log.
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

/**
 * `approvals`: request id (time-sortable, so key order is request order) → ApprovalRow.
 * Writes belong inside store.tx. Built from the raw handle (structurally the store's
 * `Handles`: only `approvals` is needed).
 */
export class ApprovalsTable {
  readonly #db: Database<any, string>;
  constructor(h: { approvals: Database<any, string> }) {
    this.#db = h.approvals;
  }

  get(id: string): ApprovalRow | undefined {
    return this.#db.get(id) as ApprovalRow | undefined;
  }

  put(row: ApprovalRow): void {
    void this.#db.put(row.id, row);
  }

  /** every request, oldest first; `since` keeps those requested at or after it */
  all(opts: { since?: number } = {}): ApprovalRow[] {
    const out: ApprovalRow[] = [];
    for (const { value } of this.#db.getRange()) {
      const r = value as ApprovalRow;
      if (opts.since === undefined || r.requestedAt >= opts.since) out.push(r);
    }
    return out;
  }

  /** requests waiting for a decision and not past their time at `now`, oldest first */
  pending(now: number, opts: { requestedBy?: string; target?: string; kind?: string } = {}): ApprovalRow[] {
    return this.all().filter((r) => r.state === 'pending' && r.expiresAt > now
      && (opts.requestedBy === undefined || r.requestedBy === opts.requestedBy)
      && (opts.target === undefined || r.target === opts.target)
      && (opts.kind === undefined || r.kind === opts.kind));
  }

  /** pending requests whose time is over at `now` (the sweep marks them expired) */
  overdue(now: number): ApprovalRow[] {
    return this.all().filter((r) => r.state === 'pending' && r.expiresAt <= now);
  }

  /** approved but not carried out (a crash, a failed action) */
  approvedNotDone(): ApprovalRow[] {
    return this.all().filter((r) => r.state === 'approved');
  }
}
