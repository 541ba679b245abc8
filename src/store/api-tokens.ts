import type { Handles } from './handles.ts';

/**
 * An API token (src/auth/api-tokens.ts): only SHA-256 of the secret is stored. A token
 * acts as its owner with the owner's roles at the time of use.
 */
export interface ApiTokenRow {
  id: string;
  user: string;
  label: string;
  secretSha256: string;
  createdAt: number;
  createdBy: string;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** `apiTokens`: token id → ApiTokenRow. Writes belong inside store.tx. */
export class ApiTokensTable {
  readonly #db: Handles['apiTokens'];
  constructor(h: Handles) {
    this.#db = h.apiTokens;
  }

  get(id: string): ApiTokenRow | undefined {
    return this.#db.get(id) as ApiTokenRow | undefined;
  }

  /** every token (revoked ones too), or those of one user, by id (= creation order) */
  list(user?: string): ApiTokenRow[] {
    return [...this.#db.getRange()].map((e) => e.value as ApiTokenRow).filter((t) => !user || t.user === user);
  }

  put(row: ApiTokenRow): void {
    void this.#db.put(row.id, row);
  }
}
