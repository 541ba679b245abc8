// Pure rules, no I/O: what a retention policy is, matches and keeps, and the gates decided
// at ingest. config validates with them, retention and ingest apply them.
export { addDuration, compareDurations, parseDuration, type Duration } from './duration.ts';
export {
  evaluate, lockProblem, matches, samePolicy, validatePolicy, type Policy, type PolicyFacts, type PolicyMatch,
} from './retention.ts';
export {
  combine, gate, type CallFacts, type GateDecision, type GateOutcome, type GateRule, type GateVerdict, type IngestGate, type Retention,
} from './gates.ts';
export { retentionExpiry, type ExpiryView } from './expiry-gate.ts';
export { CONSENT_DENIED, CONSENT_DENIED_BARRIER, consentDecision, type ConsentPolicy } from './consent-gate.ts';
