import type { CallFacts, GateDecision } from './gates.ts';

/**
 * The no-consent policy at ingest (issue 12, item 4), pure. `consent.policy` null: no
 * opinion (the behaviour before issue 12). Otherwise a denied call is marked
 * `consent-denied` and an unknown one `consent-review` (the review list, decided after
 * `consent.unknownDays`).
 *
 * Not yet here: `discard` (destroy the source, log recording.refused with reason
 * consent-denied) needs the generic "discard" ingest outcome another branch is adding to
 * gates.ts and the pipeline; a `refuse` today would keep the bytes in quarantine, which is
 * the opposite of what a denial asks. Until that lands, both policies mark.
 */
export type ConsentPolicy = 'discard' | 'restrict';

export function consentDecision(call: CallFacts, policy: ConsentPolicy | null): GateDecision {
  if (policy === null) return { kind: 'pass' };
  if (call.consentState === 'denied') return { kind: 'mark', mark: 'consent-denied' };
  if (call.consentState === 'unknown') return { kind: 'mark', mark: 'consent-review' };
  return { kind: 'pass' };
}
