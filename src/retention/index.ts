export {
  APPROVAL_TTL_MS, approvedNotDone, decide, describeApproval, expireApprovals, getApproval, listApprovals, outcomeOf, pendingApprovals,
  requestApproval, runApproved, type ApprovalKind, type ApprovalKinds, type ApprovalOutcome, type ApprovalPreview, type ApprovalRow,
  type ApprovalState, type ApprovalViewer, type DecideInput, type PreviewCall, type RequestInput,
} from './approvals.ts';
export { retentionExpiryGate } from './ingest-gate.ts';
