import type { Role } from '../auth/roles.ts';

// ─── what a request will do, and what it did (issue 9 #12) ────────────────────────────
//
// An approver decides on facts, not on `recordings:2e274be9…`. Each kind of request
// registers, at wiring, how to describe itself (computed now, so the approver sees the
// state at the moment of deciding) and how to carry itself out (registry.ts). Its
// executor's result says what actually happened: `outcome` 'nothing' when nothing changed
// (every call was under a legal hold, the file was gone already), 'partial' when some of it did.

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
  /**
   * the same as a sentence the console translates (issue 15 item 5): label key under
   * `sentence.` and its values, e.g. { key: 'erase', vars: { n: 3, request, by } }
   */
  sentence?: { key: string; vars: Record<string, string | number> };
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

/** Calls in a preview are capped so that a request for 1000 calls still renders quickly. */
export const PREVIEW_ROWS = 200;

/** The outcome of a finished request, for results of executors that predate `outcome`. */
export function outcomeOf(result: Record<string, unknown> | undefined): ApprovalOutcome | null {
  if (!result || 'error' in result) return null;
  const o = result.outcome;
  const outcome = o === 'done' || o === 'partial' || o === 'nothing' ? o : 'done';
  const counts = result.counts && typeof result.counts === 'object' ? result.counts as Record<string, number> : undefined;
  return { outcome, summary: typeof result.summary === 'string' ? result.summary : outcome === 'done' ? 'carried out' : outcome, ...(counts ? { counts } : {}) };
}

/** Who asked, as people say it: "anna", not "user:anna". */
export function requesterOf(row: { requester?: string; requestedBy: string }): string {
  return row.requester || row.requestedBy.replace(/^user:/, '');
}
