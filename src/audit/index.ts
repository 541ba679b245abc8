export { createAuditLog, type AuditLog, type AuditLogOptions } from './log.ts';
export type { EntryInput, LogEntry } from './entry.ts';
export type { SignedCheckpoint } from './checkpoint-store.ts';
export type { VerifyReport } from './verify-all.ts';
export { formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.ts';
export { exportAudit, vkeyFingerprint, writeVerifier, type ExportOptions, type ExportSummary } from './export.ts';
export { verifierDigests, verifierFiles, VERIFIER_FILES, type VerifierFile } from './verifier/build.ts';
export { EMPTY_ROOT, hashLeaf, hashChildren, toHex, fromHex, type Hash } from './hasher.ts';
export { inclusionProblem, consistencyProblem, verifyInclusion, verifyConsistency } from './tree-verify.ts';
