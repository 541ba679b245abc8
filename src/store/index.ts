export { openIndex, isLmdbCommitEcho, type IndexStore } from './store.ts';
export * from './recordings.ts';
export { compactIndex } from './compact.ts';
export { enableWriterWaitNotices } from './writer-wait.ts';
export { ApprovalsTable, type ApprovalRow, type ApprovalState } from './approvals.ts';
