// Roles and what they may do (DESIGN §6). A user may hold several; a permission is
// granted when any of the user's roles grants it. Checked in src/access and the web
// layer against the same table, so the console and the API cannot drift apart.

import { ROLES, type Role } from '../core/roles.ts';

export { ROLES, type Role };

export type Permission =
  /** search and see non-personal metadata (ids, times, queue, duration, consent state) */
  | 'recording.search'
  /** see numbers, agent names, call ids and consent evidence (decrypts personal metadata) */
  | 'recording.personal'
  /** play and download audio */
  | 'recording.audio'
  /** read the access log, verify it, download auditor exports */
  | 'log.read'
  /** users, API tokens, settings */
  | 'users.manage'
  /** dashboard, ingest state, quarantine list */
  | 'system.view'
  /** retry or request discard of quarantined files */
  | 'quarantine.manage'
  /** approve or reject another person's four-eyes request */
  | 'approvals.decide'
  /** retention policies, run or dry-run the purge, confirm a held purge */
  | 'retention.manage'
  /** place legal holds, request their release, request early deletion */
  | 'holds.manage'
  /** data subjects and their requests (GDPR Art. 12–21): look up, register, verify, close */
  | 'privacy.requests'
  /** report consent events of calls (POST /api/consent; role integration only) */
  | 'consent.events'
  /** confirm or dismiss a call's advisory speech findings (issue 12 #5): only a confirmation is evidence */
  | 'speech.review';

const GRANTS: Record<Role, readonly Permission[]> = {
  // Admins run the box: users, quarantine, settings. No audio and no personal data by
  // default: an administrator is not a reason to listen to customers.
  admin: ['recording.search', 'users.manage', 'system.view', 'quarantine.manage', 'approvals.decide', 'retention.manage', 'holds.manage'],
  supervisor: ['recording.search', 'recording.personal', 'recording.audio', 'system.view', 'speech.review'],
  dpo: ['recording.search', 'recording.personal', 'recording.audio', 'log.read', 'system.view', 'approvals.decide', 'holds.manage', 'privacy.requests', 'speech.review'],
  // Auditors check what happened, never what was said.
  auditor: ['recording.search', 'log.read', 'system.view'],
  // least privilege (issue 12): a PBX or CRM says "the caller pressed 1"; it may not read
  // a single recording, list, or log back what it sent
  integration: ['consent.events'],
};

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

export function can(roles: readonly Role[], p: Permission): boolean {
  return roles.some((r) => GRANTS[r]?.includes(p));
}

/** Who is asking: a console user, an API token, or the local CLI (which holds the keys anyway). */
export interface Principal {
  kind: 'user' | 'token' | 'cli' | 'system';
  /** user name (for tokens: the owner) */
  name: string;
  /** the log's actor string: user:NAME, token:ID, cli:NAME */
  actor: string;
  roles: Role[];
  /** session or token id, for logout and rotation */
  sessionKey?: string;
}

export function cliPrincipal(actor: string): Principal {
  return { kind: 'cli', name: actor.replace(/^cli:/, ''), actor, roles: [...ROLES] };
}
