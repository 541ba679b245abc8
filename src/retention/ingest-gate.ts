import type { LogWriter } from '../core/types.ts';
import type { IndexStore } from '../store/index.ts';
import { gate, retentionExpiry, type IngestGate } from '../policy/index.ts';
import { clockHold } from './clock-state.ts';
import { clockProblem, holdPurgeSync, markTrusted } from './clock-guard.ts';
import { listPolicies } from './policies.ts';

/**
 * Retention expiry as a gate decided at ingest (the rule is the pure
 * src/policy/expiry-gate.ts). It runs inside the ingest's own commit, so no recording is
 * ever in the index without its expiry (re-evaluated when policies change) — except while
 * the clock is suspect: then none until an admin confirms the time.
 *
 * It reads the stored policies and the clock's state; what it records in the same
 * transaction is the clock guard's: the trusted mark moves forward when the clock passed
 * the check, the hold is recorded (and logged, once) when it did not
 * (src/retention/clock-guard.ts, issue 9 #2).
 */
export function retentionExpiryGate(store: IndexStore, log: LogWriter, maxJumpMs: number): IngestGate {
  return gate('retention.expiry', {
    read: (now) => ({
      policies: listPolicies(store),
      clockProblem: clockHold(store)?.reason ?? clockProblem(store, now, maxJumpMs, { use: 'ingest' }),
    }),
    rule: retentionExpiry,
    record(_decision, view, now) {
      if (view.clockProblem !== null) holdPurgeSync(store, log, view.clockProblem, now);
      else markTrusted(store, now);
    },
  });
}
