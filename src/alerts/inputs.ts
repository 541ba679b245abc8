import { daysSinceHandOut } from '../audit/index.ts';
import { statfs } from 'node:fs/promises';
import type { AlertsConfig } from '../config/index.ts';
import { parseWorkingHours } from '../config/index.ts';
import { newId } from '../core/ids.ts';
import type { IndexStore } from '../store/index.ts';
import { OPEN_STATES } from '../store/index.ts';
import type { AlertInputs } from './rules.ts';

const HOUR = 3600_000;
const DAY = 86_400_000;
/** log actions that hand out call content (distinct recordings count, not Range requests) */
const CONTENT = new Set(['recording.played', 'recording.downloaded', 'recording.exported']);
/** reads of content or personal metadata that count for the off-hours check */
const READS = new Set([...CONTENT, 'recording.viewed']);

export interface LiveFacts {
  /** epoch ms of the oldest file deferred in the inbox (the service's ingest status) */
  oldestWaitingSince: number | null;
  witnesses: AlertInputs['witnesses'];
  selfCheck: AlertInputs['selfCheck'];
}

const timeOf = (line: string | undefined): number => {
  const m = line ? /"time":"([^"]+)"/.exec(line) : null;
  return m ? Date.parse(m[1]!) : NaN;
};

/** First seq whose entry is at or after `ms` (entries are appended in time order). */
export function firstSeqAt(store: IndexStore, ms: number): number {
  let lo = 0;
  let hi = store.log.tip() + 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timeOf(store.log.line(mid)) < ms) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Local weekday (1..7) and minute of day of `ms` in `zone`. */
function localClock(ms: number, fmt: Intl.DateTimeFormat): { day: number; minute: number } {
  const parts = Object.fromEntries(fmt.formatToParts(ms).map((p) => [p.type, p.value]));
  const day = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday!) + 1;
  return { day, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

export function isWorkingTime(ms: number, r: AlertsConfig['rules']['unusualAccess'], fmt?: Intl.DateTimeFormat): boolean {
  const span = r.workingHours ? parseWorkingHours(r.workingHours) : null;
  if (!span) return true;
  const f = fmt ?? new Intl.DateTimeFormat('en-GB', { timeZone: r.timeZone ?? undefined, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const { day, minute } = localClock(ms, f);
  if (!r.workingDays.includes(day)) return false;
  const [from, to] = span;
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

/**
 * The last hour of the log, per actor: distinct calls played/downloaded/exported, distinct
 * phone tokens searched (the log holds tokens, never numbers), reads outside working hours;
 * and failed sign-ins. Reads only the last hour (found by binary search on the times).
 */
export function accessLastHour(store: IndexStore, now: number, r: AlertsConfig['rules']['unusualAccess']) {
  const per = new Map<string, { calls: Set<string>; numbers: Set<string>; offHours: number }>();
  let failedSignIns = 0;
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: r.timeZone ?? undefined, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const start = firstSeqAt(store, now - HOUR);
  for (const { value } of store.log.range(start, store.log.tip() + 1)) {
    let e: { time: string; actor: string; action: string; target: string; detail?: { filters?: { phoneToken?: string } } };
    try {
      e = JSON.parse(value);
    } catch {
      continue; // verification reports unreadable lines; alerts count what they can read
    }
    if (e.action === 'auth.login.failed') failedSignIns++;
    if (e.actor.startsWith('system:')) continue;
    const isContent = CONTENT.has(e.action);
    const token = e.action === 'recording.searched' ? e.detail?.filters?.phoneToken : undefined;
    if (!isContent && !token && !READS.has(e.action)) continue;
    const a = per.get(e.actor) ?? per.set(e.actor, { calls: new Set(), numbers: new Set(), offHours: 0 }).get(e.actor)!;
    if (isContent) a.calls.add(e.target);
    if (token) a.numbers.add(token);
    if (READS.has(e.action) && !isWorkingTime(Date.parse(e.time), r, fmt)) a.offHours++;
  }
  return {
    access: [...per].map(([actor, a]) => ({ actor, plays: a.calls.size, numbers: a.numbers.size, offHours: a.offHours })),
    failedSignIns,
  };
}

let growth: { dir: string; at: number; bytesPerDay: number | null } | null = null;

/** Days until the data disk is full at the last 7 days' growth (cached 10 min: it walks a week of rows). */
export async function diskDaysLeft(store: IndexStore, dataDir: string, createdAt: number, reserveBytes: number, now: number): Promise<number | null> {
  let free: number;
  try {
    const s = await statfs(dataDir);
    free = Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
  if (!growth || growth.dir !== dataDir || now - growth.at > 600_000) {
    const since = Math.max(now - 7 * DAY, Number.isFinite(createdAt) ? createdAt : now);
    let bytes = 0;
    for (const row of store.recordings.rows({ fromId: newId(since).slice(0, 10) + '0'.repeat(16) })) bytes += row.storedBytes ?? 0;
    const days = (now - since) / DAY;
    growth = { dir: dataDir, at: now, bytesPerDay: days >= 1 ? bytes / days : null };
  }
  if (!growth.bytesPerDay) return null;
  return Math.max(0, (free - reserveBytes) / growth.bytesPerDay);
}

/** Everything the rules look at, from the store, the log's last hour and the service's live facts. */
export async function gatherInputs(
  o: { store: IndexStore; config: { dataDir: string; ingest: { minFreeMiB: number }; alerts: AlertsConfig }; createdAt: number; live: LiveFacts; now?: number },
): Promise<AlertInputs> {
  const now = o.now ?? Date.now();
  const { store } = o;
  const last = store.purgeRuns.latest(1)[0];
  const acc = accessLastHour(store, now, o.config.alerts.rules.unusualAccess);
  return {
    now,
    openRequestDueAt: store.requests.list(OPEN_STATES).map((r) => r.dueAt),
    purge: { lastRunState: last?.state ?? null, clockHeld: store.meta.clockHold() !== null },
    oldestWaitingSince: o.live.oldestWaitingSince,
    quarantinedLastHour: store.quarantine.all().filter((q) => q.quarantinedAt >= now - HOUR).length,
    diskDaysLeft: await diskDaysLeft(store, o.config.dataDir, o.createdAt, o.config.ingest.minFreeMiB * 1024 * 1024, now),
    access: acc.access,
    failedSignInsLastHour: acc.failedSignIns,
    witnesses: o.live.witnesses,
    selfCheck: o.live.selfCheck,
    handOut: { daysSince: daysSinceHandOut(store, now), ageDays: Math.max(0, (now - o.createdAt) / DAY), logSize: store.log.tip() + 1 },
    breachNoticeDueAt: store.breaches.list('open').filter((b) => b.authorityNotifiedAt === null && b.risk !== 'unlikely').map((b) => b.noticedAt + 72 * 3600_000),
  };
}
