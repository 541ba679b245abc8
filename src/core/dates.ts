import { TresorError } from './errors.ts';

/**
 * The one date parser for the CLI, the console and the API (issue 9: `tresor list
 * --until 2026-11-27` read UTC midnight and left out the whole day, while the console
 * and `tresor hold` read the whole local day).
 *
 * - `2026-11-27`: a whole day in the box's local time zone. As a lower bound (`start`)
 *   its first millisecond, as an upper bound (`end`) its last, so "until the 27th"
 *   includes the 27th. The day's length follows the zone (23 or 25 hours at DST).
 * - `2026-11-27T14:00` or `2026-11-27 14:00[:ss[.mmm]]`: that moment in local time.
 * - the same with `Z` or `±hh:mm`: that exact moment (RFC 3339).
 * Anything else, and dates that do not exist (2026-02-30), are refused with the field's
 * name; no guessing (`Date.parse` takes "1" for the year 2001).
 */
export type DateBound = 'start' | 'end';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MOMENT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/i;

export function parseDateBound(text: string, bound: DateBound, what: string): number {
  const s = text.trim();
  const day = DAY.exec(s);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    if (!realDay(y, m, d)) throw notADate(what, text);
    return bound === 'start' ? new Date(y, m - 1, d).getTime() : new Date(y, m - 1, d + 1).getTime() - 1;
  }
  const t = MOMENT.exec(s);
  if (t) {
    const [y, m, d, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => Number(t[i] ?? 0)) as [number, number, number, number, number, number];
    const ms = t[7] ? Math.round(Number(t[7]) * 1000) : 0;
    if (!realDay(y, m, d) || h > 23 || mi > 59 || sec > 59) throw notADate(what, text);
    const zone = t[8];
    if (!zone) return new Date(y, m - 1, d, h, mi, sec, ms).getTime();
    const offset = zone.toUpperCase() === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
    return Date.UTC(y, m - 1, d, h, mi, sec, ms) - offset * 60_000;
  }
  throw notADate(what, text);
}

/** Both bounds at once (from ≤ to is checked: a range that ends before it starts is a typo). */
export function parseDateRange(from: string | undefined, to: string | undefined, names: [string, string]): { fromMs?: number; toMs?: number } {
  const r: { fromMs?: number; toMs?: number } = {};
  if (from) r.fromMs = parseDateBound(from, 'start', names[0]);
  if (to) r.toMs = parseDateBound(to, 'end', names[1]);
  if (r.fromMs !== undefined && r.toMs !== undefined && r.fromMs > r.toMs) throw new TresorError('E_INVALID', `${names[0]} is after ${names[1]}`);
  return r;
}

function realDay(y: number, m: number, d: number): boolean {
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function notADate(what: string, text: string): TresorError {
  return new TresorError('E_INVALID', `${what}: "${text}" is not a date (2026-11-27, 2026-11-27T14:00 or 2026-11-27T14:00:00Z)`);
}
