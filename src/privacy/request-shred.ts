import { removePackageCopies } from '../core/copies.ts';
import type { ClockHold, RequestRow } from '../store/index.ts';
import { checkClock, clockHold } from '../retention/clock-guard.ts';
import { addCalendarMonths, endOfLocalDay, localDay } from './deadlines.ts';
import { requestKeyId } from './request-key.ts';
import { isOpen } from './requests.ts';
import type { PrivacyDeps } from './deps.ts';

/**
 * Closed requests are kept for `privacy.closedRequestYears` (default 3: the regular German
 * limitation period, § 195 BGB, within which the controller may have to show how it
 * answered, Art. 5(2), 24 GDPR) and then crypto-shredded by the scheduled purge: the
 * request's own key (`r:<id>`, request-key.ts) is destroyed, so its sealed identifiers,
 * reasons and notes can never be opened again, and the row drops them and its lookup
 * tokens. What stays is the register's skeleton — id, kind, state and dates — which holds
 * no personal data and still proves that the request was received and answered in time.
 * Logged `request.shredded` with id, kind, state and the close date only.
 *
 * Behind the purge's clock guard: a clock jumped years ahead must not shred a register.
 */

export interface ShredOptions {
  by: string;
  now: number;
  years: number;
  maxJumpMs: number;
}

export type ShredOutcome = { kind: 'held'; hold: ClockHold } | { kind: 'done'; shredded: string[] };

/** when a request closed at `closedAt` is shredded: the end of that local day, `years` calendar years on */
export function shredDueAt(closedAt: number, years: number): number {
  return endOfLocalDay(addCalendarMonths(localDay(closedAt), 12 * years));
}

/** closed, kept long enough, not shredded yet */
export function dueForShredding(r: RequestRow, now: number, years: number): boolean {
  return !isOpen(r) && r.closedAt !== null && !r.shreddedAt && shredDueAt(r.closedAt, years) < now;
}

export async function shredClosedRequests(deps: PrivacyDeps, o: ShredOptions): Promise<ShredOutcome> {
  const existing = clockHold(deps.store);
  if (existing) return { kind: 'held', hold: existing };
  const hold = await checkClock(deps.store, deps.log, o.now, o.maxJumpMs);
  if (hold) return { kind: 'held', hold };
  const due = deps.store.requests.list().filter((r) => dueForShredding(r, o.now, o.years)).map((r) => r.id);
  const shredded: string[] = [];
  for (const id of due) {
    const done = await deps.store.tx(() => {
      const r = deps.store.requests.get(id);
      // re-checked inside the transaction, before the first write (lmdb)
      if (!r || !dueForShredding(r, o.now, o.years)) return false;
      deps.store.keys.remove(requestKeyId(id));
      deps.store.requests.put(shreddedRow(r, o.now));
      deps.log.appendSync([{ actor: o.by, action: 'request.shredded', target: `request:${id}`, detail: { kind: r.kind, state: r.state, closedAt: new Date(r.closedAt!).toISOString(), keptYears: o.years } }]);
      return true;
    });
    if (!done) continue;
    shredded.push(id);
    // the copies went when the request closed; one left by a failed removal goes now
    if (deps.dataDir) await removePackageCopies(deps.log, o.by, deps.dataDir, id, { reason: 'closed', zip: true });
  }
  return { kind: 'done', shredded };
}

/** The row without anything sealed or tokenised: id, kind, state, dates, who (actor ids) and counts stay. */
function shreddedRow(r: RequestRow, now: number): RequestRow {
  return {
    ...r,
    tokens: [],
    identifiers: '',
    closeReason: null,
    extension: r.extension ? { ...r.extension, reason: '' } : null,
    ...(r.package ? { package: { ...r.package, exclusions: r.package.exclusions.map((e) => ({ ...e, note: null })) } } : {}),
    shreddedAt: now,
  };
}
