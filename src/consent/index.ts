// Consent you can prove (issue 12): evidence sealed with the call's key, events from the
// PBX/IVR/CRM, the ingest step that gathers them (DTMF in the consent window included).
export { consentStep, type ConsentAdvisor } from './collect.ts';
export { receiveEvent, expirePending, pendingContext, type ConsentDeps, type EventOutcome } from './events.ts';
export { openEvidence, sealEvidence, recordedEntry, stateOf, parseEvent, fromEvent, fromSidecar, fromDtmf, type ConsentEvent } from './evidence.ts';
export { decideUnknown, decideOptions, planUnknown, undecidedUnknown, CONSENT_UNKNOWN, CONSENT_UNKNOWN_BARRIER, type UnknownOutcome, type UnknownPlan, type UnknownCall } from './unknown.ts';
