import type { IndexStore } from '../store/index.ts';
import type { AuditLog } from './log.ts';
import type { LogEntry } from './entry.ts';

/**
 * Searching the access log (the console's /log): filters by actor, action (a dotted
 * prefix), target and time, newest first, in pages with a cursor. Reads entries only:
 * nothing here decrypts or writes.
 */

/** One entry as a search finds it; a line that does not parse is shown as unreadable, not skipped. */
export type FoundEntry =
  | { seq: number; time: string; actor: string; action: string; target: string; detail: Record<string, unknown> }
  | { seq: number; unreadable: true };

const PAGE = 50;
/** entries looked at per request when the filters are not indexed (actor/target are) */
const SCAN_BUDGET = 20_000;
const CHUNK = 500;

export interface LogQuery {
  actor?: string;
  action?: string;
  target?: string;
  /** ms, inclusive */
  from?: number;
  /** ms, exclusive */
  to?: number;
  /** only entries with seq below this */
  before?: number;
}

export interface LogPage {
  entries: FoundEntry[];
  next: number | null;
  partial: boolean;
}

function parse(seq: number, line: string | undefined): FoundEntry {
  if (line === undefined) return { seq, unreadable: true };
  try {
    const e = JSON.parse(line) as LogEntry;
    if (typeof e.time !== 'string' || typeof e.action !== 'string') return { seq, unreadable: true };
    return { seq, time: e.time, actor: e.actor, action: e.action, target: e.target, detail: e.detail ?? {} };
  } catch {
    return { seq, unreadable: true };
  }
}

function matches(e: FoundEntry, q: LogQuery): boolean {
  if ('unreadable' in e) return !q.actor && !q.action && !q.target && q.from === undefined && q.to === undefined;
  if (q.actor && e.actor !== q.actor) return false;
  if (q.target && e.target !== q.target) return false;
  if (q.action && e.action !== q.action && !e.action.startsWith(`${q.action}.`)) return false;
  const ms = Date.parse(e.time);
  if (q.from !== undefined && ms < q.from) return false;
  if (q.to !== undefined && ms >= q.to) return false;
  return true;
}

const timeOf = (line: string | undefined): number => {
  const m = line ? /"time":"([^"]+)"/.exec(line) : null;
  return m ? Date.parse(m[1]!) : NaN;
};

/**
 * Newest first. Actor and target filters go through the log's index (`about`); otherwise
 * the log is read backwards from the cursor (or from the end of the "until" day, found
 * by binary search on the append-ordered times) for at most SCAN_BUDGET entries.
 */
export function searchLog(log: AuditLog, store: IndexStore, q: LogQuery): LogPage {
  const size = log.size();
  let cursor = Math.min(q.before ?? size, size);
  const out: FoundEntry[] = [];
  let examined = 0;

  if (q.target || q.actor) {
    const [kind, value] = q.target ? ['target', q.target] as const : ['actor', q.actor!] as const;
    while (out.length <= PAGE && examined < SCAN_BUDGET) {
      const batch = log.about(kind, value, 200, cursor);
      for (const e of batch) {
        examined++;
        cursor = e.seq;
        const shown: FoundEntry = { seq: e.seq, time: e.time, actor: e.actor, action: e.action, target: e.target, detail: e.detail };
        if (q.from !== undefined && Date.parse(e.time) < q.from) return finish(out, null, false);
        if (matches(shown, q)) out.push(shown);
        if (out.length > PAGE) break;
      }
      if (batch.length < 200) return finish(out, null, false);
    }
    return finish(out, cursor, out.length <= PAGE);
  }

  if (q.to !== undefined) {
    // first seq whose time is ≥ to: everything before it is older
    let lo = 0;
    let hi = cursor;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = timeOf(store.log.line(mid));
      if (t < q.to) lo = mid + 1;
      else hi = mid;
    }
    cursor = lo;
  }
  while (cursor > 0 && out.length <= PAGE && examined < SCAN_BUDGET) {
    const start = Math.max(0, cursor - CHUNK);
    const rows = [...store.log.range(start, cursor)];
    for (let i = rows.length - 1; i >= 0; i--) {
      const { key: seq, value } = rows[i]!;
      examined++;
      cursor = seq;
      const e = parse(seq, value);
      if (q.from !== undefined && !('unreadable' in e) && Date.parse(e.time) < q.from) return finish(out, null, false);
      if (matches(e, q)) out.push(e);
      if (out.length > PAGE) break;
    }
    if (rows.length === 0) cursor = start;
  }
  return finish(out, cursor > 0 ? cursor : null, out.length <= PAGE && cursor > 0);
}

function finish(out: FoundEntry[], cursor: number | null, partial: boolean): LogPage {
  if (out.length > PAGE) return { entries: out.slice(0, PAGE), next: out[PAGE - 1]!.seq, partial: false };
  return { entries: out, next: partial ? cursor : null, partial };
}

