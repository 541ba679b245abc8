import { processAlive } from '../core/index.ts';
import type { Handles } from './handles.ts';

/**
 * A source file being ingested, keyed by a keyed hash of its path (paths carry phone
 * numbers): which process has it, and what is known about it across attempts and
 * restarts (src/ingest/pipeline.ts and src/ingest/recover.ts have the rules).
 */
export interface InflightRow {
  pid: number;
  pidStart: string | null;
  startedAt: number;
  state: 'working' | 'committed' | 'kept';
  sha256?: string;
  id?: string;
  attempts: number;
  size?: number;
  mtimeMs?: number;
  /** these bytes timed out in ffmpeg once: a second time-out is not retried (issue 16) */
  timedOutSha?: string;
}

/** `inflight`: token of the source path → InflightRow. Writes belong inside store.tx. */
export class InflightTable {
  readonly #db: Handles['inflight'];
  constructor(h: Handles) {
    this.#db = h.inflight;
  }

  get(key: string): InflightRow | undefined {
    return this.#db.get(key) as InflightRow | undefined;
  }

  count(): number {
    return this.#db.getCount();
  }

  *entries(): Iterable<{ key: string; row: InflightRow }> {
    for (const { key, value } of this.#db.getRange()) yield { key: key as string, row: value as InflightRow };
  }

  /**
   * Claims a source for this process, so the service and a CLI never both take it; call
   * inside store.tx (LMDB serialises writers across processes). 'kept': archived already
   * and left in place (disposition keep), unchanged since; 'busy': a live process has it.
   */
  claim(key: string, me: { pid: number; pidStart: string | null; size: number; mtimeMs: number; now: number }): InflightRow | 'busy' | 'kept' {
    const row = this.get(key);
    if (row?.state === 'kept' && row.size === me.size && row.mtimeMs === me.mtimeMs) return 'kept';
    if (row && row.state === 'working' && row.pid !== me.pid && processAlive(row.pid, row.pidStart)) return 'busy';
    const next: InflightRow = {
      pid: me.pid, pidStart: me.pidStart, startedAt: me.now, state: row?.state === 'committed' ? 'committed' : 'working',
      sha256: row?.sha256, id: row?.id, attempts: row?.state === 'kept' ? 0 : row?.attempts ?? 0, size: me.size, mtimeMs: me.mtimeMs,
      ...(row?.timedOutSha ? { timedOutSha: row.timedOutSha } : {}),
    };
    this.put(key, next);
    return next;
  }

  put(key: string, row: InflightRow): void {
    void this.#db.put(key, row);
  }

  remove(key: string): void {
    void this.#db.remove(key);
  }
}
