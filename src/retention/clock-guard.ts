import type { ClockHold, IndexStore, RecordingRow } from '../store/index.ts';
import type { LogWriter } from '../core/types.ts';
import { reevaluateAll } from './policies.ts';
import { clockHold } from './clock-state.ts';

export { clockHold } from './clock-state.ts';

/**
 * A purge deletes for good, and it decides by the wall clock. A clock that jumps forward
 * (a bad NTP server, a dead RTC battery fixed by hand to 2031, a VM restored from a
 * snapshot and corrected) would purge calls years early. So the guard compares "now"
 * with time it has reason to trust:
 *
 * 1. inside a running process, the wall clock may not have advanced more than
 *    `maxJumpMs` beyond the monotonic clock since the process started;
 * 2. across restarts, "now" may not be more than `maxJumpMs` away from the trusted
 *    high-water mark (`clockTrustedAt` in the index): the latest wall time that was seen
 *    while the clock passed this very check — by an ingest, a purge, the service's clock
 *    watch (every few minutes while it runs), or an admin's confirmation.
 *
 * Issue 9 #2 is why the mark exists: the guard used to trust the newest ingest, and one
 * call ingested under a clock 3 years ahead moved that anchor, so after a restart the
 * purge destroyed 11 of 11 calls that a P1Y policy kept. An anchor written by a jumped
 * clock is never trusted now: nothing advances the mark unless the check passed first.
 * An archive from before the mark bootstraps from its last purge run or confirmation (both
 * passed the guard when written); with neither, and calls in it, a person confirms once.
 *
 * A failed check trips a hold (in the index and the log): purges refuse, and calls
 * ingested meanwhile get no expiry (retention.awaitingClock) — their start may come
 * from the same wrong clock — until an admin confirms the time; then they get it.
 * A clock far behind the mark also trips it at ingest (a call stamped years back would
 * be due the moment the clock is put right); for the purge alone, behind is safe.
 */

const started = { wall: Date.now(), mono: performance.now() };

/** The latest wall time seen while the clock passed the guard, or null when none is known yet. */
export function trustedTime(store: IndexStore): number | null {
  const mark = store.meta.clockTrustedAt();
  if (typeof mark === 'number') return mark;
  const lastRun = store.purgeRuns.latest(1)[0]?.startedAt ?? 0;
  const confirmed = store.meta.clockConfirmedAt() ?? 0;
  const t = Math.max(lastRun, confirmed);
  return t > 0 ? t : null;
}

const hours = (ms: number) => (ms / 3600_000).toFixed(1);
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Why the clock is not to be trusted at `now`, or null. `use` says who asks: for the
 * purge a clock behind the mark only delays deletion; for an ingest it is as bad as ahead.
 */
export function clockProblem(store: IndexStore, now: number, maxJumpMs: number, o: { use?: 'purge' | 'ingest'; wallNow?: number } = {}): string | null {
  const wallNow = o.wallNow ?? Date.now();
  const drift = (wallNow - started.wall) - (performance.now() - started.mono);
  if (drift > maxJumpMs) return `the wall clock moved ${hours(drift)} h further than the process's monotonic clock since it started`;
  if (drift < -maxJumpMs && o.use === 'ingest') return `the wall clock went ${hours(-drift)} h back against the process's monotonic clock since it started`;
  const trusted = trustedTime(store);
  if (trusted === null) {
    return store.recordings.getCount() > 0 ? 'no trusted time is recorded for this archive yet (it predates the clock check); confirm the clock once' : null;
  }
  if (now - trusted > maxJumpMs) {
    return `the clock reads ${iso(now)}, ${hours(now - trusted)} h after the last time it was trusted (${iso(trusted)}); it may have jumped`;
  }
  if (o.use === 'ingest' && trusted - now > maxJumpMs) {
    return `the clock reads ${iso(now)}, ${hours(trusted - now)} h before the last time it was trusted (${iso(trusted)}); it may have jumped back`;
  }
  return null;
}

/** Moves the trusted mark forward (never back); call inside a write transaction, only after clockProblem said null. */
export function markTrusted(store: IndexStore, now: number): void {
  const mark = store.meta.clockTrustedAt();
  if (mark === undefined || now > mark) store.meta.putClockTrustedAt(now);
}

/** Inside a write transaction: records the hold once (and logs it); returns it. */
export function holdPurgeSync(store: IndexStore, log: LogWriter, reason: string, now: number): ClockHold {
  const existing = clockHold(store);
  if (existing) return existing;
  const h = { since: now, reason };
  store.meta.putClockHold(h);
  log.appendSync([{ actor: 'system:retention', action: 'purge.held', target: 'purge', detail: { reason } }]);
  return h;
}

/** Records the hold (once) and returns it. */
export async function holdPurge(store: IndexStore, log: LogWriter, reason: string, now: number): Promise<ClockHold> {
  return store.tx(() => holdPurgeSync(store, log, reason, now));
}

/**
 * Checks the clock and, in the same transaction, either advances the trusted mark or
 * records the hold. Returns the hold when the clock is suspect. Used by the purge and
 * by the service's clock watch.
 */
export async function checkClock(store: IndexStore, log: LogWriter, now: number, maxJumpMs: number, use: 'purge' | 'ingest' = 'purge'): Promise<ClockHold | null> {
  return store.tx(() => {
    const held = clockHold(store);
    if (held) return held;
    const problem = clockProblem(store, now, maxJumpMs, { use });
    if (problem) return holdPurgeSync(store, log, problem, now);
    markTrusted(store, now);
    return null;
  });
}

/**
 * An admin confirms the clock is right: the hold goes, "now" becomes the trusted mark,
 * and the calls that arrived while it was held get their expiry.
 */
export async function confirmClock(store: IndexStore, log: LogWriter, by: string, now: number): Promise<{ wasHeld: boolean; released: number }> {
  const waiting = countAwaitingClock(store);
  const wasHeld = await store.tx(() => {
    const h = clockHold(store);
    store.meta.removeClockHold();
    store.meta.putClockConfirmedAt(now);
    store.meta.putClockTrustedAt(now);
    log.appendSync([{ actor: by, action: 'purge.clock.confirmed', target: 'purge', detail: { now: iso(now), wasHeld: !!h, awaitingClock: waiting } }]);
    return !!h;
  });
  if (waiting) await reevaluateAll(store);
  return { wasHeld, released: waiting };
}

/** Calls ingested while the clock was suspect, still without an expiry. */
export function countAwaitingClock(store: IndexStore): number {
  let n = 0;
  for (const { value } of store.recordings.getRange()) if ((value as RecordingRow).retention?.awaitingClock) n++;
  return n;
}
