import type { Handles } from './handles.ts';

/**
 * The access log's tables (src/audit/ has the rules: entry format, chaining, RFC 6962).
 * Lines are stored exactly as hashed, so this file never parses or re-serialises them.
 */

/** What a log line is indexed by: "what happened to this recording", "what did this user do". */
export type LogIndexKind = 'target' | 'actor';

/**
 * `log`: seq → entry line (no newline), and its secondary index `logIndex`
 * ([kind, value, seq] → true), written here only. Writes belong inside store.tx.
 */
export class LogTable {
  readonly #log: Handles['log'];
  readonly #index: Handles['logIndex'];
  constructor(h: Handles) {
    this.#log = h.log;
    this.#index = h.logIndex;
  }

  /** the highest seq stored, or -1 for an empty log (the next entry's seq is tip() + 1) */
  tip(): number {
    for (const k of this.#log.getKeys({ reverse: true, limit: 1 })) return k;
    return -1;
  }

  line(seq: number): string | undefined {
    return this.#log.get(seq);
  }

  /** the stored [seq, line] pairs with start ≤ seq < end, in order (holes are not filled) */
  range(start: number, end: number): Iterable<{ key: number; value: string }> {
    return this.#log.getRange({ start, end });
  }

  /** seqs of entries naming `value` as their `kind`, newest first, below `beforeSeq` */
  *seqsAbout(kind: LogIndexKind, value: string, beforeSeq: number): Iterable<number> {
    for (const k of this.#index.getKeys({ start: [kind, value, beforeSeq], end: [kind, value, -1], reverse: true })) {
      const seq = k[2] as number;
      if (seq < beforeSeq) yield seq; // the range's start is inclusive
    }
  }

  /** Stores one entry line and its index entries. */
  append(seq: number, line: string, target: string, actor: string): void {
    void this.#log.put(seq, line);
    this.index(seq, target, actor);
  }

  /** Index entries for a stored line (logs from before the index existed get them once). */
  index(seq: number, target: string, actor: string): void {
    void this.#index.put(['target', target, seq], true);
    void this.#index.put(['actor', actor, seq], true);
  }

  /**
   * Overwrites or removes a stored line without touching the tree or the index: only tests
   * use it, to play a tampered or restored-from-backup log (the checks must catch it).
   */
  tamper(seq: number, line: string | null): void {
    void (line === null ? this.#log.remove(seq) : this.#log.put(seq, line));
  }
}

/** `tree`: [level, index] → 32-byte hash of a full subtree (RFC 6962). Writes belong inside store.tx. */
export class TreeTable {
  readonly #db: Handles['tree'];
  constructor(h: Handles) {
    this.#db = h.tree;
  }

  node(level: number, index: number): Buffer | undefined {
    return this.#db.get([level, index]);
  }

  putNode(level: number, index: number, hash: Uint8Array): void {
    void this.#db.put([level, index], Buffer.from(hash));
  }
}

/** `checkpoints`: tree size → signed checkpoint note text. Writes belong inside store.tx. */
export class CheckpointsTable {
  readonly #db: Handles['checkpoints'];
  constructor(h: Handles) {
    this.#db = h.checkpoints;
  }

  get(size: number): string | undefined {
    return this.#db.get(size);
  }

  /** the newest stored note, or null before the first checkpoint */
  latest(): { size: number; note: string } | null {
    for (const { key, value } of this.#db.getRange({ reverse: true, limit: 1 })) return { size: key, note: value };
    return null;
  }

  /** the newest `limit` notes, newest first */
  recent(limit: number): { size: number; note: string }[] {
    return [...this.#db.getRange({ reverse: true, limit })].map(({ key, value }) => ({ size: key, note: value }));
  }

  /** every stored note, oldest first */
  all(): { size: number; note: string }[] {
    return [...this.#db.getRange({})].map(({ key, value }) => ({ size: key, note: value }));
  }

  put(size: number, note: string): void {
    void this.#db.put(size, note);
  }
}
