import type { Handles } from './handles.ts';
import type { SearchFilters } from './recordings.ts';

/**
 * A legal hold (src/retention/holds.ts has the rules): a case whose scope is a list of
 * recording ids and/or a saved search, matched at purge time.
 */
export type HoldSearch = Pick<SearchFilters, 'fromMs' | 'toMs' | 'queue' | 'direction' | 'phoneToken' | 'agentToken' | 'consentState'>;

export interface HoldRow {
  v: 1;
  id: string;
  /** case name, e.g. "Müller ./. Example GmbH, LG Berlin 12 O 345/26" — shown to dpo/admin only */
  caseName: string;
  reason: string;
  ids: string[];
  search: HoldSearch | null;
  createdAt: number;
  createdBy: string;
  state: 'active' | 'released';
  releasedAt: number | null;
  releasedBy: string | null;
  /** the approval that released it (four-eyes) */
  releaseApprovalId: string | null;
  /**
   * issue 15 item 5: the number / agent of the saved search as typed, sealed (keyring
   * sealSecret, context `hold:<id>`), so the holds page can show them to the roles that
   * see personal data; the search itself matches by token. Absent on older holds.
   */
  sealedSearch?: string;
}

/** `holds`: hold id (time-ordered) → HoldRow. Writes belong inside store.tx. */
export class HoldsTable {
  readonly #db: Handles['holds'];
  constructor(h: Handles) {
    this.#db = h.holds;
  }

  get(id: string): HoldRow | undefined {
    return this.#db.get(id) as HoldRow | undefined;
  }

  /** the holds a purge must respect, oldest first */
  active(): HoldRow[] {
    return [...this.#db.getRange()].map((e) => e.value as HoldRow).filter((h) => h.state === 'active');
  }

  /** every hold (or those in one state), newest first */
  list(state?: HoldRow['state']): HoldRow[] {
    const out: HoldRow[] = [];
    for (const { value } of this.#db.getRange({ reverse: true })) {
      const h = value as HoldRow;
      if (!state || h.state === state) out.push(h);
    }
    return out;
  }

  put(row: HoldRow): void {
    void this.#db.put(row.id, row);
  }
}
