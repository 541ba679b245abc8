// What the privacy workbench offers the web and CLI layers (DESIGN §2: data subjects,
// the request register and its deadlines; packages, erasure and objections follow).
export type { PrivacyDeps } from './deps.ts';
export { addCalendarMonths, dueAfter, endOfLocalDay, formatDay, localDay, MAX_EXTENSION_MONTHS, type CalendarDay } from './deadlines.ts';
export { normaliseIdentifiers, tokensOfIdentifiers, type SubjectIdentifiers } from './identifiers.ts';
export {
  closeRequest, extendRequest, getRequest, isOpen, isRequestKind, listRequests, openRequest, REFUSAL_INFORMATION,
  requestView, startRequest, verifyIdentity, withdrawRequest, type ListRequestsOptions, type OpenRequestInput, type RequestView,
} from './requests.ts';
export { findSubject, type SubjectHits } from './subjects.ts';
export { DEFAULT_MAX_ERASURE_CALLS, ERASURE_KIND, erasureAnswer, erasureKinds, planErasure, requestErasure, type ErasureException, type ErasurePlan } from './erasure.ts';
export { certificatePath, readErasureCertificate } from './certificate.ts';
export { transparencyFacts, type TransparencyFacts, type TransparencySettings } from './transparency.ts';
export {
  addObjection, isObjectionScope, listObjections, objectionView, objectsTo, removeObjection, type AddObjectionInput, type ObjectionView,
} from './objections.ts';
export { OBJECTION_RESTRICT_MARK, objectionGate, type ObjectionAtIngest } from './objection-gate.ts';
export { liftRestriction, restrictRecording, RESTRICTION_KINDS, type RestrictionKind } from './restriction.ts';
export { rectifyRecording, RECTIFIABLE_FIELDS, type RectifiableField, type RectifyDeps } from './rectify.ts';
export { assessBreach, BREACH_RISKS, breachFacts, breachNotice, breachNoticePdf, closeBreach, getBreach, NOTIFY_WITHIN_MS, notificationDue, notifyBreach, openSealed, recordBreach, type BreachFacts, type NoticeSettings, type RecordBreachInput } from './breaches.ts';
export {
  buildBundle, bundleCalls, bundleKinds, callsDigest, requestBundleApproval, BUNDLE_EXPORTED, BUNDLE_KIND, DEFAULT_BUNDLE_APPROVAL_OVER,
  type BundleDeps, type BundleOptions, type BundleResult, type BundleSelection,
} from './bundle.ts';
// the package is built only by its release, after the DPO's review (Art. 15(4))
export { packageCalls, readManifest, type PackageResult, type PackageSettings } from './package.ts';
export {
  excludeFromPackage, isExclusionReason, openPackageZip, packageDir, packageDraft, packageZipPath, releasePackage, type PackageDraft, type ReleaseResult,
} from './package-review.ts';
export { openForRequest, requestKeyId, requestKeySealer } from './request-key.ts';
export { dueForShredding, shredClosedRequests, shredDueAt, type ShredOptions, type ShredOutcome } from './request-shred.ts';
