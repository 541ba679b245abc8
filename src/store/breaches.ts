import type { Handles } from './handles.ts';

/** How likely the breach harms people (Art. 33(1), 34(1)): decides who must be told. */
export type BreachRisk = 'unassessed' | 'unlikely' | 'risk' | 'high';
export type BreachState = 'open' | 'closed';

export interface BreachRow {
  v: 1;
  id: string;
  state: BreachState;
  /** epoch ms the controller became aware (starts the 72 hours of Art. 33(1)) */
  noticedAt: number;
  recordedAt: number;
  recordedBy: string;
  /** sealed JSON BreachFacts: what happened, consequences, measures (may name people) */
  facts: string;
  /** which calls: ids, or a period of archiving (either may be empty) */
  callIds: string[];
  period: { from: number; to: number } | null;
  subjectsEstimate: number;
  recordsEstimate: number;
  risk: BreachRisk;
  authorityNotifiedAt: number | null;
  subjectsNotifiedAt: number | null;
  /** sealed: why the notice came after 72 hours (Art. 33(1) second sentence) */
  delayReason: string | null;
  closedAt: number | null;
  closedBy: string | null;
  /** sealed: the documentation of a breach not notified (Art. 33(5)) or the closing note */
  closeNote: string | null;
}

/** `breaches`: breach id (time-ordered) → BreachRow, written here only. Writes belong inside store.tx. */
export class BreachesTable {
  readonly #db: Handles['breaches'];
  constructor(h: Handles) {
    this.#db = h.breaches;
  }

  get(id: string): BreachRow | undefined {
    return this.#db.get(id) as BreachRow | undefined;
  }

  /** newest first */
  list(state?: BreachState): BreachRow[] {
    return [...this.#db.getRange({ reverse: true })].map((e) => e.value as BreachRow).filter((r) => !state || r.state === state);
  }

  put(row: BreachRow): void {
    void this.#db.put(row.id, row);
  }
}
