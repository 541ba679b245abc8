import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addCalendarMonths, dueAfter, endOfLocalDay, formatDay, localDay } from '../src/privacy/deadlines.ts';

// Art. 12(3) with Regulation 1182/71's month rule: same day number, or the month's last day.
const add = (s: string, n: number) => {
  const [y, m, d] = s.split('-').map(Number) as [number, number, number];
  return formatDay(addCalendarMonths({ y, m, d }, n));
};

describe('request deadlines (pure date arithmetic)', () => {
  it('one month after receipt is the same day number of the next month', () => {
    assert.equal(add('2026-03-15', 1), '2026-04-15');
    assert.equal(add('2026-12-01', 1), '2027-01-01');
    assert.equal(add('2026-12-31', 1), '2027-01-31');
  });
  it('clamps to the last day of a shorter month (31 Jan → 28/29 Feb, 31 Mar → 30 Apr)', () => {
    assert.equal(add('2026-01-31', 1), '2026-02-28');
    assert.equal(add('2028-01-31', 1), '2028-02-29');
    assert.equal(add('2028-01-29', 1), '2028-02-29');
    assert.equal(add('2026-01-29', 1), '2026-02-28');
    assert.equal(add('2026-03-31', 1), '2026-04-30');
    assert.equal(add('2026-08-31', 1), '2026-09-30');
    assert.equal(add('2100-01-31', 1), '2100-02-28'); // not a leap year
    assert.equal(add('2000-01-31', 1), '2000-02-29');
  });
  it('extensions count from receipt, not from the clamped first due date', () => {
    // 31 Jan + 3 months is 30 April, although 28 Feb + 2 months would be 28 April
    assert.equal(add('2026-01-31', 3), '2026-04-30');
    assert.equal(add('2026-01-31', 2), '2026-03-31');
    assert.equal(add('2026-11-30', 3), '2027-02-28');
    assert.equal(add('2026-05-31', 0), '2026-05-31');
  });
  it('refuses negative or fractional months', () => {
    assert.throws(() => add('2026-01-01', -1), RangeError);
    assert.throws(() => add('2026-01-01', 1.5), RangeError);
  });
  it('the due instant is the end of that local day', () => {
    const received = new Date(2026, 0, 31, 16, 20).getTime();
    const due = dueAfter(received);
    assert.deepEqual(localDay(due), { y: 2026, m: 2, d: 28 });
    assert.equal(due, endOfLocalDay({ y: 2026, m: 2, d: 28 }));
    assert.equal(localDay(due + 1).d, 1);
    assert.deepEqual(localDay(dueAfter(received, 3)), { y: 2026, m: 4, d: 30 });
  });
});
