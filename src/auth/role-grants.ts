import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore } from '../store/index.ts';
import { can, isRole, ROLES, type Role } from './roles.ts';
import type { UserRow } from '../store/index.ts';
import { updateUser } from './users.ts';

/**
 * Granting a role that sees personal data or audio is a four-eyes action (issue 16): an
 * administrator alone must not be able to make themselves — or a colleague, or an account
 * whose password they chose — a supervisor or DPO. The console files a request of this
 * kind (src/approvals/); a second person with approvals.decide, who is not
 * the one receiving the role, approves; only then grantRoles runs. Taking roles away and
 * granting roles without personal data need nobody else.
 *
 * The CLI on the box applies roles directly: whoever runs it holds the keys and the data
 * directory, and can read every recording anyway (`tresor extract`).
 */
export const ROLE_GRANT_KIND = 'user.roles.grant';

/** Roles whose holders see numbers, names or audio. */
export const PERSONAL_DATA_ROLES: readonly Role[] = ROLES.filter((r) => can([r], 'recording.personal') || can([r], 'recording.audio'));

/** What of a wanted role set applies at once, and which personal-data roles wait for a second person. */
export function splitRoleChange(current: readonly Role[], wanted: readonly Role[]): { now: Role[]; grant: Role[] } {
  const grant = wanted.filter((r) => !current.includes(r) && PERSONAL_DATA_ROLES.includes(r));
  return { now: wanted.filter((r) => !grant.includes(r)), grant };
}

/** The payload of a grant request as stored, checked again before anything is granted. */
export function grantPayload(payload: Record<string, unknown>): { user: string; roles: Role[] } {
  const user = typeof payload.user === 'string' ? payload.user : '';
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => typeof r === 'string' && isRole(r)) : [];
  if (!user || !roles.length) throw new TresorError('E_INVALID', 'this role grant request names no user or no role');
  return { user, roles };
}

/**
 * The executor of an approved `user.roles.grant` request; `by` is the approver. Adds the
 * roles to what the user holds now (a change made meanwhile is kept), ends their sessions,
 * and logs `user.changed` naming the approval and who asked.
 */
export async function grantRoles(
  store: IndexStore, log: LogWriter, by: string,
  approval: { id: string; kind: string; state: string; target: string; requestedBy: string; payload: Record<string, unknown> },
): Promise<UserRow> {
  const { user, roles } = grantPayload(approval.payload);
  if (approval.kind !== ROLE_GRANT_KIND || approval.target !== `user:${user}` || approval.state !== 'approved') {
    throw new TresorError('E_FORBIDDEN', `granting roles to ${user} needs an approved ${ROLE_GRANT_KIND} request`);
  }
  return updateUser(store, log, by, user, { addRoles: roles, logDetail: { approval: approval.id, requestedBy: approval.requestedBy } });
}

/**
 * The `user.roles.grant` kind as src/approvals/ registers it at wiring (src/site/approvals.ts):
 * auth sits below approvals (DESIGN §2), so this is plain data the registry accepts
 * (ApprovalKind's shape), not an import of it.
 */
export function roleGrantKinds(deps: { store: IndexStore; log: LogWriter }) {
  type Row = { id: string; kind: string; state: string; target: string; requestedBy: string; payload: Record<string, unknown> };
  return {
    [ROLE_GRANT_KIND]: {
      describe(row: Row) {
        const { user, roles } = grantPayload(row.payload);
        return {
          summary: `grant ${roles.join(', ')} to ${user}`,
          facts: [{ label: 'user', value: user }, { label: 'roles', value: roles.join(', ') }],
        };
      },
      async execute(row: Row, actor: string): Promise<Record<string, unknown>> {
        const u = await grantRoles(deps.store, deps.log, actor, row);
        return { user: `user:${u.name}`, roles: u.roles, outcome: 'done', summary: `${u.name} now has ${u.roles.join(', ')}` };
      },
    },
  };
}
