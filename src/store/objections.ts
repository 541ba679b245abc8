import type { Handles } from './handles.ts';
import type { RequestTokenKind } from './requests.ts';

/** What an objection forbids (GDPR Art. 21, consent withdrawal Art. 7(3)). */
export const OBJECTION_SCOPES = ['record', 'analytics'] as const;
/** `record`: do not archive calls of this subject; `analytics`: archive, never transcribe or analyse */
export type ObjectionScope = (typeof OBJECTION_SCOPES)[number];

/**
 * One entry of the do-not-record register (src/privacy/objections.ts has the rules). The
 * identifier only sealed under the entry's own context (`objection:<id>`); in clear its
 * keyed token (keyring.tokenize, the same the ingest indexes), so ingest can match a call
 * without the register holding a number.
 */
export interface ObjectionRow {
  v: 1;
  id: string;
  scope: ObjectionScope;
  tokens: { kind: RequestTokenKind; token: string }[];
  /** sealed JSON { number?, customerId? } */
  identifiers: string;
  /** the data-subject request it came from, or null (entered by hand) */
  requestId: string | null;
  createdBy: string;
  createdAt: number;
  removedAt: number | null;
  removedBy: string | null;
}

/**
 * `objections`: id → ObjectionRow, and `objectionTokens`: [kind, token, id] → scope for
 * the entries in force (a removed entry's tokens go). Writes belong inside store.tx.
 */
export class ObjectionsTable {
  readonly #db: Handles['objections'];
  readonly #tokens: Handles['objectionTokens'];
  constructor(h: Handles) {
    this.#db = h.objections;
    this.#tokens = h.objectionTokens;
  }

  get(id: string): ObjectionRow | undefined {
    return this.#db.get(id) as ObjectionRow | undefined;
  }

  /** every entry, newest first (removed ones too: the register's history) */
  list(): ObjectionRow[] {
    return [...this.#db.getRange({ reverse: true })].map(({ value }) => value as ObjectionRow);
  }

  /** Whether an entry in force with this scope names one of the tokens (ingest asks this per call). */
  objectsTo(tokens: readonly { kind: string; token: string }[], scope: ObjectionScope): boolean {
    for (const t of tokens) {
      for (const { value } of this.#tokens.getRange({ start: [t.kind, t.token], end: [t.kind, t.token, '\uffff'] })) {
        if (value === scope) return true;
      }
    }
    return false;
  }

  put(row: ObjectionRow): void {
    const old = this.get(row.id);
    for (const t of old?.tokens ?? []) void this.#tokens.remove([t.kind, t.token, row.id]);
    void this.#db.put(row.id, row);
    if (row.removedAt === null) for (const t of row.tokens) void this.#tokens.put([t.kind, t.token, row.id], row.scope);
  }
}
