// Four-eyes requests: the rules (requests.ts), what approvers see (preview.ts) and the
// executors owners register at wiring (registry.ts). The rows live in src/store/approvals.ts.
export {
  APPROVAL_TTL_MS, approveByGrace, approvedNotDone, decide, expireApprovals, getApproval, listApprovals, pendingApprovals, requestApproval,
  runApproved, type DecideInput, type RequestInput,
} from './requests.ts';
export { outcomeOf, PREVIEW_ROWS, requesterOf, type ApprovalOutcome, type ApprovalPreview, type ApprovalViewer, type PreviewCall } from './preview.ts';
export { ApprovalRegistry, type ApprovalKind, type ApprovalKinds } from './registry.ts';
