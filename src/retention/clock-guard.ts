import type { IndexStore } from '../index/index.ts';
import type { LogWriter } from '../core/types.ts';
import { idTime } from '../core/ids.ts';
import type { PurgeRunRow } from './purge.ts';

/**
 * A purge deletes for good, and it decides by the wall clock. A clock that jumps forward
 * (a bad NTP server, a dead RTC battery fixed by hand to 2031, a VM restored from a
 * snapshot and corrected) would purge calls years early. So before a purge:
 *
 * 1. inside a running service, the wall clock may not have advanced more than
 *    `maxJumpMs` beyond the monotonic clock since the service started;
 * 2. across restarts, "now" may not be more than `maxJumpMs` past BOTH the newest ingest
 *    and the last purge run — one of them normally moved recently, and a box that was
 *    really off for weeks should have a person look before it deletes a backlog.
 *
 * Either trips a hold: the purge refuses until an admin confirms the time (recorded in
 * the index and the log). A clock that goes backwards only delays purges; that is safe.
 */
export interface ClockHold {
  since: number;
  reason: string;
}

const started = { wall: Date.now(), mono: performance.now() };

export function clockHold(store: IndexStore): ClockHold | null {
  return (store.meta.get('purgeClockHold') as ClockHold | undefined) ?? null;
}

export function clockProblem(store: IndexStore, now: number, maxJumpMs: number, wallNow = Date.now()): string | null {
  const drift = (wallNow - started.wall) - (performance.now() - started.mono);
  if (drift > maxJumpMs) return `the wall clock moved ${(drift / 3600_000).toFixed(1)} h further than the process's monotonic clock since the service started`;
  let newestIngest = 0;
  for (const k of store.recordings.getKeys({ reverse: true, limit: 1 })) newestIngest = idTime(k as string);
  let lastRun = 0;
  for (const { value } of store.purgeRuns.getRange({ reverse: true, limit: 1 })) lastRun = (value as PurgeRunRow).startedAt;
  const confirmed = (store.meta.get('purgeClockConfirmedAt') as number | undefined) ?? 0;
  const anchor = Math.max(newestIngest, lastRun, confirmed);
  if (anchor > 0 && now - anchor > maxJumpMs) {
    return `it is ${((now - anchor) / 3600_000).toFixed(1)} h since the newest ingest and the last purge (${new Date(anchor).toISOString()}); the clock may have jumped`;
  }
  return null;
}

/** Records the hold (once) and returns it. */
export async function holdPurge(store: IndexStore, log: LogWriter, reason: string, now: number): Promise<ClockHold> {
  return store.root.transaction(() => {
    const existing = store.meta.get('purgeClockHold') as ClockHold | undefined;
    if (existing) return existing;
    const h = { since: now, reason };
    store.meta.put('purgeClockHold', h);
    log.appendSync([{ actor: 'system:retention', action: 'purge.held', target: 'purge', detail: { reason } }]);
    return h;
  });
}

/** An admin confirms the clock is right: the hold goes and the next purge may run. */
export async function confirmClock(store: IndexStore, log: LogWriter, by: string, now: number): Promise<boolean> {
  return store.root.transaction(() => {
    const h = store.meta.get('purgeClockHold') as ClockHold | undefined;
    store.meta.remove('purgeClockHold');
    // the confirmation is also the new anchor for rule 2
    store.meta.put('purgeClockConfirmedAt', now);
    log.appendSync([{ actor: by, action: 'purge.clock.confirmed', target: 'purge', detail: { now: new Date(now).toISOString(), wasHeld: !!h } }]);
    return !!h;
  });
}
