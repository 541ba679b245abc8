import type { Handles } from './handles.ts';

/** A segment file of the archive as the index knows it (src/archive/ has the rules). */
export interface SegmentRow {
  name: string;
  pid: number;
  pidStart: string | null;
  createdAt: number;
  /** bytes of the file that belong to committed records (plus the file header) */
  committedBytes: number;
  records: number;
  state: 'open' | 'closed';
  // What compaction adds (src/archive/compact.ts); rows without them are plain segments.
  /** a compaction (pid + start time) is copying this segment */
  compactor?: { pid: number; pidStart: string | null };
  /** this row is a compaction's new segment (until its commit) */
  compactionTarget?: boolean;
  /** the segment was compacted into that one; the file is waiting to be deleted */
  retiredInto?: string | null;
}

/** `segments`: segment name → SegmentRow. Writes belong inside store.tx (or store.txSync at open). */
export class SegmentsTable {
  readonly #db: Handles['segments'];
  constructor(h: Handles) {
    this.#db = h.segments;
  }

  get(name: string): SegmentRow | undefined {
    return this.#db.get(name) as SegmentRow | undefined;
  }

  /** every segment row, by name (names sort in creation order) */
  all(): SegmentRow[] {
    return [...this.#db.getRange()].map((e) => e.value as SegmentRow);
  }

  /** the same with the key each row is stored under */
  *entries(): Iterable<{ name: string; row: SegmentRow }> {
    for (const { key, value } of this.#db.getRange()) yield { name: key as string, row: value as SegmentRow };
  }

  names(): string[] {
    return [...this.#db.getKeys()] as string[];
  }

  put(name: string, row: SegmentRow): void {
    void this.#db.put(name, row);
  }

  remove(name: string): void {
    void this.#db.remove(name);
  }
}
