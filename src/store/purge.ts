import type { Handles } from './handles.ts';

/**
 * The purge's tables (src/retention/purge.ts has the rules). A tombstone holds no
 * personal data: it lets the DPO say when and under which policy a call went.
 */
export interface PurgedRow {
  v: 1;
  id: string;
  start: number;
  durationMs: number;
  queue: string | null;
  policy: string | null;
  expiresAt: number | null;
  purgedAt: number;
  /** 'policy' (scheduled or run by hand), 'request' (four-eyes early deletion), 'consent-unknown' (consent.unknownAction erase after consent.unknownDays) */
  reason: 'policy' | 'request' | 'consent-unknown';
  by: string;
  run: string | null;
  approval: string | null;
  storedBytes: number;
  /** where the dead (undecryptable) bytes lie until compaction rewrites the segment */
  segment: string;
  offset: number;
  length: number;
}

export interface PurgeRunRow {
  id: string;
  by: string;
  startedAt: number;
  finishedAt: number | null;
  state: 'running' | 'done' | 'interrupted' | 'failed';
  purged: number;
  held: number;
  report: { json: string; csv: string; sha256: string } | null;
  /** the process running it: a run whose process died is finished by the next one */
  pid?: number;
  pidStart?: string | null;
}

/** `purged`: recording id → PurgedRow. Writes belong inside store.tx. */
export class PurgedTable {
  readonly #db: Handles['purged'];
  constructor(h: Handles) {
    this.#db = h.purged;
  }

  get(id: string): PurgedRow | undefined {
    return this.#db.get(id) as PurgedRow | undefined;
  }

  /** every tombstone, by recording id */
  all(): PurgedRow[] {
    return [...this.#db.getRange()].map((e) => e.value as PurgedRow);
  }

  count(): number {
    return this.#db.getCount();
  }

  put(row: PurgedRow): void {
    void this.#db.put(row.id, row);
  }
}

/** `purgeRuns`: run id (time-ordered) → PurgeRunRow. Writes belong inside store.tx. */
export class PurgeRunsTable {
  readonly #db: Handles['purgeRuns'];
  constructor(h: Handles) {
    this.#db = h.purgeRuns;
  }

  get(id: string): PurgeRunRow | undefined {
    return this.#db.get(id) as PurgeRunRow | undefined;
  }

  /** every run, oldest first */
  all(): PurgeRunRow[] {
    return [...this.#db.getRange()].map((e) => e.value as PurgeRunRow);
  }

  /** the newest `n` runs, newest first */
  latest(n: number): PurgeRunRow[] {
    return [...this.#db.getRange({ reverse: true, limit: n })].map((e) => e.value as PurgeRunRow);
  }

  count(): number {
    return this.#db.getCount();
  }

  put(row: PurgeRunRow): void {
    void this.#db.put(row.id, row);
  }
}
