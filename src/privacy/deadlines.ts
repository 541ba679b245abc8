/**
 * Deadlines of data-subject requests (GDPR Art. 12(3)): answer "without undue delay and in
 * any event within one month of receipt"; extendable "by two further months where
 * necessary", the subject being told of the extension and its reasons within the first
 * month. A period in months ends on the day of the later month with the same number as
 * the day of receipt, or, where that day does not exist, on that month's last day
 * (Regulation 1182/71 Art. 3(2)(c), which the EU applies to GDPR periods): 31 January →
 * 28 (29) February, 30 March → 30 April, 31 August → 30 September.
 *
 * Calendar dates are the box's local days (the date the DPO writes on the letter); a due
 * date is the last millisecond of its day, so "due 28 Feb" is still on time on the 28th.
 */

export interface CalendarDay {
  y: number;
  /** 1–12 */
  m: number;
  d: number;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** `day` plus `months` calendar months, clamped to the last day of a shorter month. Pure. */
export function addCalendarMonths(day: CalendarDay, months: number): CalendarDay {
  if (!Number.isInteger(months) || months < 0) throw new RangeError(`months must be a whole number ≥ 0, not ${months}`);
  const index = day.y * 12 + (day.m - 1) + months;
  const y = Math.floor(index / 12);
  const m = (index % 12) + 1;
  return { y, m, d: Math.min(day.d, daysInMonth(y, m)) };
}

/** The local calendar day of an instant. */
export function localDay(ms: number): CalendarDay {
  const t = new Date(ms);
  return { y: t.getFullYear(), m: t.getMonth() + 1, d: t.getDate() };
}

/** The last millisecond of a local day (23 or 25 hours long at DST changes). */
export function endOfLocalDay(day: CalendarDay): number {
  return new Date(day.y, day.m - 1, day.d + 1).getTime() - 1;
}

/** When a request received at `receivedAt` is due, `months` after receipt (1 without extension). */
export function dueAfter(receivedAt: number, months = 1): number {
  return endOfLocalDay(addCalendarMonths(localDay(receivedAt), months));
}

/** Art. 12(3): the extension adds at most two months to the first. */
export const MAX_EXTENSION_MONTHS = 2;

export function formatDay(day: CalendarDay): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${day.y}-${p(day.m)}-${p(day.d)}`;
}
