import type { CallFacts, GateDecision } from './gates.ts';

/**
 * The no-consent policy at ingest (issue 12, item 4), pure. `consent.policy` null: no
 * opinion (the behaviour before issue 12). Otherwise a denied call is marked
 * `consent-denied` and an unknown one `consent-review` (the review list, decided after
 * `consent.unknownDays`).
 *
 * A denied call under `discard` is not archived: the source is destroyed and
 * `recording.refused` (reason consent-denied) logged — recording or keeping a call
 * against the caller's will is what § 201 StGB forbids, so quarantine (which keeps the
 * bytes) is the wrong place for it. Under `restrict` it is kept with the barrier
 * `restricted:consent-denied`, which the access door never lifts: such a call can only be
 * erased, not played, downloaded or exported (not even for legal claims).
 */
export type ConsentPolicy = 'discard' | 'restrict';
export const CONSENT_DENIED = 'consent-denied';
/** the access door's barrier for a call kept without consent (src/access: never lifted) */
export const CONSENT_DENIED_BARRIER = `restricted:${CONSENT_DENIED}`;

export function consentDecision(call: CallFacts, policy: ConsentPolicy | null): GateDecision {
  if (policy === null) return { kind: 'pass' };
  if (call.consentState === 'denied') return policy === 'discard' ? { kind: 'discard', reason: CONSENT_DENIED } : { kind: 'mark', mark: CONSENT_DENIED_BARRIER };
  if (call.consentState === 'unknown') return { kind: 'mark', mark: 'consent-review' };
  return { kind: 'pass' };
}
