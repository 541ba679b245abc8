import type { Policy } from '../core/types.ts';
import type { Handles } from './handles.ts';

export type { Policy, PolicyMatch } from '../core/types.ts';

export interface PolicyRow extends Policy {
  v: 1;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
}

/** `policies`: policy name → PolicyRow. Writes belong inside store.tx. */
export class PoliciesTable {
  readonly #db: Handles['policies'];
  constructor(h: Handles) {
    this.#db = h.policies;
  }

  get(name: string): PolicyRow | undefined {
    return this.#db.get(name) as PolicyRow | undefined;
  }

  /** every policy, by name */
  all(): PolicyRow[] {
    return [...this.#db.getRange()].map((e) => e.value as PolicyRow);
  }

  put(row: PolicyRow): void {
    void this.#db.put(row.name, row);
  }

  remove(name: string): void {
    void this.#db.remove(name);
  }
}
