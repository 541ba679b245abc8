import type { Direction } from '../core/types.ts';
import type { Handles } from './handles.ts';
import type { TokenRef } from './recordings.ts';

/** A file ingest could not archive, kept sealed in data/quarantine/<id>/ (src/ingest/quarantine.ts). */
export interface QuarantineRow {
  id: string;
  code: string;
  message: string;
  sourceSha256: string;
  sourceBytes: number;
  hasSidecar: boolean;
  quarantinedAt: number;
  attempts: number;
  /** which call this is, as far as its name (and a readable sidecar) say: no personal data */
  call?: QuarantinedCall;
  /** the sidecar file used last; absent: 'sidecar.tsq' when hasSidecar */
  sidecarFile?: string;
  lastAttemptAt?: number;
  /** sealed JSON QuarantinePersonal */
  personal: Uint8Array;
  /**
   * keyed tokens of the numbers its name (or sidecar) gave, so a data-subject lookup sees
   * the file (issue 11); absent on entries made before that
   */
  tokens?: TokenRef[];
}

/** What an admin may see of a quarantined call (DESIGN §6: no personal data). */
export interface QuarantinedCall {
  /** epoch ms; null when neither name nor sidecar says */
  start: number | null;
  startFromMtime: boolean;
  direction: Direction;
  queue: string | null;
  nameFormat: string;
}

/**
 * `quarantine`: quarantine id → QuarantineRow, and its entries in `bySha` under
 * `q:<source SHA-256>` (the recordings' own entries there have no prefix), written here
 * only: a redelivery of the same bytes joins the entry instead of being archived as new.
 * Writes belong inside store.tx.
 */
export class QuarantineTable {
  readonly #db: Handles['quarantine'];
  readonly #bySha: Handles['bySha'];
  constructor(h: Handles) {
    this.#db = h.quarantine;
    this.#bySha = h.bySha;
  }

  get(id: string): QuarantineRow | undefined {
    return this.#db.get(id) as QuarantineRow | undefined;
  }

  has(id: string): boolean {
    return this.#db.doesExist(id);
  }

  count(): number {
    return this.#db.getCount();
  }

  /** every entry, by id (ids are time-ordered) */
  all(): QuarantineRow[] {
    return [...this.#db.getRange()].map((e) => e.value as QuarantineRow);
  }

  /**
   * The entries carrying this token, by id. A scan: the quarantine holds files awaiting a
   * person (tens, not millions), so it has no token index of its own.
   */
  idsByToken(kind: TokenRef['kind'], token: string): string[] {
    const out: string[] = [];
    for (const { value } of this.#db.getRange()) {
      const r = value as QuarantineRow;
      if (r.tokens?.some((t) => t.kind === kind && t.token === token)) out.push(r.id);
    }
    return out;
  }

  /** The entry holding these bytes, if it is still there (not a stale mapping). */
  idForSha(sha256: string): string | undefined {
    const id = this.#bySha.get(`q:${sha256}`) as string | undefined;
    return id !== undefined && this.has(id) ? id : undefined;
  }

  /**
   * A new entry. Its bytes are indexed for joining unless the file is empty (every empty
   * file has the same SHA-256, and they are not one call).
   */
  add(row: QuarantineRow): void {
    void this.#db.put(row.id, row);
    if (row.sourceBytes > 0) void this.#bySha.put(`q:${row.sourceSha256}`, row.id);
  }

  /** A changed entry (one more attempt, a new reason or sidecar): same id, same bytes. */
  update(row: QuarantineRow): void {
    void this.#db.put(row.id, row);
  }

  /** Removes an entry and its `bySha` mapping (when it still points here). Returns the row it removed. */
  drop(id: string): QuarantineRow | undefined {
    const r = this.get(id);
    if (!r) return undefined;
    void this.#db.remove(id);
    if (this.#bySha.get(`q:${r.sourceSha256}`) === id) void this.#bySha.remove(`q:${r.sourceSha256}`);
    return r;
  }
}
