import type { GateDecision } from './gates.ts';
import { evaluate, type Policy, type PolicyFacts } from './retention.ts';

/** What the retention gate reads of the site at ingest (src/retention/ingest-gate.ts). */
export interface ExpiryView {
  policies: readonly Policy[];
  /** why the clock is not to be trusted now (a recorded hold or a failed check), or null */
  clockProblem: string | null;
}

/**
 * The first gate decided at ingest: the call's expiry under the policies (the longest
 * matching keep, GDPR Art. 5(1)(e)) while the clock is trusted; none while it is suspect,
 * since the call's start may come from the same wrong clock: it waits, without expiry,
 * until an admin confirms the time (src/retention/clock-guard.ts).
 */
export function retentionExpiry(call: PolicyFacts, view: ExpiryView): GateDecision {
  if (view.clockProblem !== null) return { kind: 'retain', retention: { policy: null, expiresAt: null, awaitingClock: true } };
  return { kind: 'retain', retention: evaluate(view.policies, call) };
}
