import { idTime, newId } from '../core/ids.ts';
import { OPEN_STATES, type IndexStore } from '../store/index.ts';
import { firstSeqAt } from './inputs.ts';

/**
 * The numbers behind the DPO's charts (issue 14 item 3): counts per day or week, never ids,
 * names or numbers. Days are the box's local calendar days (what people mean by
 * "yesterday"); a chart says which days it covers. Everything here reads the index and the
 * log's lines; nothing is decrypted.
 */

const DAY = 86_400_000;

/** A day or week bucket: its start (epoch ms, local midnight) and label (YYYY-MM-DD). */
export interface Bucket {
  start: number;
  label: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
export const dayLabel = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};
const localMidnight = (ms: number) => {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
};
/** local midnight `n` calendar days after `ms`'s (not n × 24 h: DST days are 23 or 25 h) */
const addDays = (ms: number, n: number) => {
  const d = new Date(ms);
  d.setDate(d.getDate() + n);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
};

/** The last `days` local days ending today, oldest first. */
export function dayBuckets(now: number, days: number): Bucket[] {
  const today = localMidnight(now);
  return Array.from({ length: days }, (_, i) => {
    const start = addDays(today, i - days + 1);
    return { start, label: dayLabel(start) };
  });
}

/** The last `weeks` weeks (Monday to Sunday, ISO 8601) ending with this one, oldest first. */
export function weekBuckets(now: number, weeks: number): Bucket[] {
  const today = new Date(localMidnight(now));
  const monday = addDays(today.getTime(), -((today.getDay() + 6) % 7));
  return Array.from({ length: weeks }, (_, i) => {
    const start = addDays(monday, (i - weeks + 1) * 7);
    return { start, label: dayLabel(start) };
  });
}

/** Which bucket `ms` falls in (buckets sorted, contiguous), -1 when before the first. */
function bucketOf(buckets: Bucket[], ms: number): number {
  for (let i = buckets.length - 1; i >= 0; i--) if (ms >= buckets[i]!.start) return i;
  return -1;
}

/** The smallest id created at or after `ms` (ids start with their time). */
const idFloor = (ms: number) => newId(Math.max(0, Math.floor(ms))).slice(0, 10) + '0'.repeat(16);

export interface ArchivedPerDay {
  buckets: Bucket[];
  calls: number[];
  bytes: number[];
}

/** Calls archived per day (by when they were archived, not when they were made). */
export function archivedPerDay(store: IndexStore, now: number, days: number): ArchivedPerDay {
  const buckets = dayBuckets(now, days);
  const calls = buckets.map(() => 0);
  const bytes = buckets.map(() => 0);
  // ids are time-ordered by creation (= archiving), so the range starts at the first day
  for (const row of store.recordings.rows({ fromId: idFloor(buckets[0]!.start - DAY) })) {
    const i = bucketOf(buckets, row.ingestedAt ?? idTime(row.id));
    if (i < 0) continue;
    calls[i]!++;
    bytes[i]! += row.storedBytes ?? 0;
  }
  return { buckets, calls, bytes };
}

export interface DiskSeries {
  buckets: Bucket[];
  /** filesystem bytes in use at the end of each day: today's use less what was archived after */
  used: (number | null)[];
  totalBytes: number | null;
  /** where ingest stops: total less the reserve (ingest.minFreeMiB) */
  limitBytes: number | null;
  /** growth per day (the dashboard's 7-day estimate), null when not known */
  bytesPerDay: number | null;
  /** days until `limitBytes` at that rate; null = no growth or not enough data */
  daysLeft: number | null;
}

/**
 * Disk use over the last days and the forecast line to "full". The history is rebuilt from
 * what was archived each day (the box keeps no disk samples): a purge in between makes the
 * past look fuller than it was, never emptier — the forecast errs on the careful side.
 */
export function diskSeries(
  perDay: ArchivedPerDay,
  disk: { freeBytes: number; totalBytes: number } | null,
  reserveBytes: number,
  bytesPerDay: number | null,
): DiskSeries {
  if (!disk) return { buckets: perDay.buckets, used: perDay.buckets.map(() => null), totalBytes: null, limitBytes: null, bytesPerDay, daysLeft: null };
  const usedNow = disk.totalBytes - disk.freeBytes;
  const used: number[] = [];
  let after = 0;
  for (let i = perDay.buckets.length - 1; i >= 0; i--) {
    used[i] = Math.max(0, usedNow - after);
    after += perDay.bytes[i]!;
  }
  const limitBytes = Math.max(0, disk.totalBytes - reserveBytes);
  const daysLeft = bytesPerDay && bytesPerDay > 0 ? Math.max(0, (limitBytes - usedNow) / bytesPerDay) : null;
  return { buckets: perDay.buckets, used, totalBytes: disk.totalBytes, limitBytes, bytesPerDay, daysLeft };
}

/** The access kinds the chart counts, in its legend's order. */
export const ACCESS_KINDS = ['recording.played', 'recording.downloaded', 'recording.exported', 'recording.viewed', 'recording.searched'] as const;
export type AccessKind = (typeof ACCESS_KINDS)[number];

export interface AccessesPerDay {
  buckets: Bucket[];
  counts: Record<AccessKind, number[]>;
  /** log lines read; at most `budget`: when cut short, the oldest days are incomplete */
  scanned: number;
  partial: boolean;
}

const ACTION = /"action":"([a-z.]+)"/;
const TIME = /"time":"([^"]+)"/;

/**
 * Accesses per day by kind, from the log (the only place they are recorded). Reads the
 * lines since the first day, newest first, up to `budget` lines (10M-entry logs: a chart
 * must not cost a core-minute); the regexes skip JSON.parse for the lines that are not
 * accesses, which are most of them.
 */
export function accessesPerDay(store: IndexStore, now: number, days: number, budget = 1_000_000): AccessesPerDay {
  const buckets = dayBuckets(now, days);
  const counts = Object.fromEntries(ACCESS_KINDS.map((k) => [k, buckets.map(() => 0)])) as Record<AccessKind, number[]>;
  const tip = store.log.tip();
  const first = firstSeqAt(store, buckets[0]!.start);
  const start = Math.max(first, tip + 1 - budget);
  let scanned = 0;
  for (const { value } of store.log.range(start, tip + 1)) {
    scanned++;
    const action = ACTION.exec(value)?.[1];
    if (!action || !(ACCESS_KINDS as readonly string[]).includes(action)) continue;
    const t = Date.parse(TIME.exec(value)?.[1] ?? '');
    const i = Number.isFinite(t) ? bucketOf(buckets, t) : -1;
    if (i >= 0) counts[action as AccessKind][i]!++;
  }
  return { buckets, counts, scanned, partial: start > first };
}

/** Open requests by when they are due (Art. 12(3)): overdue, this week, and so on. */
export const DUE_BUCKETS = ['overdue', 'within7', 'within14', 'later', 'extended'] as const;
export type DueBucket = (typeof DUE_BUCKETS)[number];

export function openRequestsByDue(store: IndexStore, now: number): Record<DueBucket, number> {
  const out: Record<DueBucket, number> = { overdue: 0, within7: 0, within14: 0, later: 0, extended: 0 };
  for (const r of store.requests.list(OPEN_STATES)) {
    const days = (r.dueAt - now) / DAY;
    // "later" is within the first month (a month after receipt can be 31 days and a bit);
    // beyond it only requests whose deadline was extended with a reason (Art. 12(3))
    out[days < 0 ? 'overdue' : days <= 7 ? 'within7' : days <= 14 ? 'within14' : r.extension ? 'extended' : 'later']++;
  }
  return out;
}

export const SEVERITIES = ['critical', 'warning', 'notice'] as const;

export interface AlertsPerWeek {
  buckets: Bucket[];
  counts: Record<(typeof SEVERITIES)[number], number[]>;
}

/** Alerts raised per week by severity. */
export function alertsPerWeek(store: IndexStore, now: number, weeks: number): AlertsPerWeek {
  const buckets = weekBuckets(now, weeks);
  const counts = { critical: buckets.map(() => 0), warning: buckets.map(() => 0), notice: buckets.map(() => 0) };
  const since = buckets[0]!.start;
  for (const a of store.alerts.raisedSince(since, idFloor(since - DAY))) {
    const i = bucketOf(buckets, a.raisedAt);
    if (i >= 0) counts[a.severity][i]!++;
  }
  return { buckets, counts };
}
