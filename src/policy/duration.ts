import { TresorError } from '../core/errors.ts';

/**
 * ISO 8601 durations as retention periods: P10Y, P6M, P90D, P2W, P1Y6M. Years, months
 * and days are calendar steps (P1M from 31 Jan is 28/29 Feb: the end of the month, not
 * 3 March), so "keep 5 years" ends on the same date five years on. Time parts are allowed
 * but rarely make sense for retention.
 */
export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const RE = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export function parseDuration(s: string): Duration {
  const m = RE.exec(s);
  if (!m || s === 'P' || s.endsWith('T')) throw new TresorError('E_INVALID', `"${s}" is not an ISO 8601 duration (e.g. P90D, P6M, P5Y)`);
  const n = (i: number) => Number(m[i] ?? 0);
  return { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), seconds: n(7) };
}

/** start + duration, in the box's calendar (local time zone) */
export function addDuration(startMs: number, d: Duration): number {
  const t = new Date(startMs);
  const day = t.getDate();
  t.setDate(1);
  t.setFullYear(t.getFullYear() + d.years);
  t.setMonth(t.getMonth() + d.months);
  const last = new Date(t.getFullYear(), t.getMonth() + 1, 0).getDate();
  t.setDate(Math.min(day, last));
  t.setDate(t.getDate() + d.weeks * 7 + d.days);
  return t.getTime() + ((d.hours * 60 + d.minutes) * 60 + d.seconds) * 1000;
}

/**
 * Compares two durations by where they end from a fixed reference start; good enough to
 * tell "longer" from "shorter" (P1M vs P30D differ by month length, and the reference
 * makes the answer stable).
 */
export function compareDurations(a: Duration, b: Duration, ref = Date.UTC(2024, 0, 31)): number {
  return Math.sign(addDuration(ref, a) - addDuration(ref, b));
}
