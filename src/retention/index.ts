export {
  APPROVAL_TTL_MS, approvedNotDone, decide, expireApprovals, getApproval, listApprovals, pendingApprovals, requestApproval, runApproved,
  type ApprovalRow, type ApprovalState, type DecideInput, type RequestInput,
} from './approvals.ts';
