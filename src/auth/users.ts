import { TresorError } from '../core/errors.ts';
import type { LogWriter, NewLogEntry } from '../core/types.ts';
import type { IndexStore, UserRow } from '../store/index.ts';
import { hashPassword } from './passwords.ts';
import { isRole, type Role } from './roles.ts';
import { assertSealed, type SealedTotp } from './sealed.ts';

/** The password hash of an account that has none yet (or had it reset): nothing verifies against it. */
export const NO_PASSWORD = '!none';

/** What pages and `user list` show: never the hash or the TOTP secret. */
export interface UserSummary {
  name: string;
  roles: Role[];
  disabled: boolean;
  totp: boolean;
  createdAt: string;
  createdBy: string;
}

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function nameProblem(name: string): string | null {
  return NAME_RE.test(name) ? null : 'a user name is 1-64 characters: lower-case letters, digits, ".", "_" or "-"';
}

export function parseRoles(list: readonly string[]): Role[] {
  const roles = [...new Set(list.flatMap((r) => r.split(',')).map((r) => r.trim()).filter(Boolean))];
  if (!roles.length) throw new TresorError('E_INVALID', 'give at least one role: admin, supervisor, dpo, auditor');
  for (const r of roles) if (!isRole(r)) throw new TresorError('E_INVALID', `unknown role "${r}" (admin, supervisor, dpo, auditor)`);
  return roles as Role[];
}

export function summary(u: UserRow): UserSummary {
  return { name: u.name, roles: u.roles, disabled: u.disabled, totp: !!u.totpSecret, createdAt: new Date(u.createdAt).toISOString(), createdBy: u.createdBy };
}

export function getUser(store: IndexStore, name: string): UserRow | undefined {
  return store.users.get(name);
}

export function listUsers(store: IndexStore): UserRow[] {
  return store.users.all();
}

export function mustUser(store: IndexStore, name: string): UserRow {
  const u = getUser(store, name);
  if (!u) throw new TresorError('E_NOT_FOUND', `no user "${name}"`);
  return u;
}

/**
 * Writes a user row and its log entry in one durable transaction. `expect` guards
 * read-modify-write against a concurrent change (CLI and service may both write).
 */
async function commit(store: IndexStore, log: LogWriter, row: UserRow, entry: NewLogEntry, expectNew = false, before?: UserRow): Promise<void> {
  const ok = await store.tx(() => {
    if (expectNew && store.users.get(row.name)) return 'exists';
    // checked inside the write transaction: two admins demoting each other at the same
    // moment (console and CLI, two processes) cannot both pass
    if (before && lastAdminProblem(store, store.users.get(row.name) ?? before, row)) return 'last-admin';
    store.users.put(row);
    log.appendSync([entry]);
    return 'ok';
  });
  if (ok === 'exists') throw new TresorError('E_EXISTS', `a user "${row.name}" exists already`);
  if (ok === 'last-admin') throw new TresorError('E_LAST_ADMIN', lastAdminProblem(store, before!, row) ?? `refused: "${row.name}" is the last enabled administrator`);
}

/**
 * Why a change from `before` to `after` would leave the box without an enabled
 * administrator (nobody could manage users any more), or null when it is fine.
 */
export function lastAdminProblem(store: IndexStore, before: UserRow, after: Pick<UserRow, 'roles' | 'disabled'>): string | null {
  const live = (u: Pick<UserRow, 'roles' | 'disabled'>) => !u.disabled && u.roles.includes('admin');
  if (!live(before) || live(after)) return null;
  if (listUsers(store).some((u) => u.name !== before.name && live(u))) return null;
  return `refused: "${before.name}" is the last enabled administrator; make another user an administrator first`;
}

/**
 * Adds a user. Without a password the account cannot sign in until its owner sets one
 * through a set-password link (issuePasswordLink): what the console does, so that the
 * administrator never knows a working password of someone else.
 */
export async function addUser(store: IndexStore, log: LogWriter, by: string, input: { name: string; roles: Role[]; password?: string }): Promise<UserRow> {
  const problem = nameProblem(input.name);
  if (problem) throw new TresorError('E_INVALID', problem);
  if (getUser(store, input.name)) throw new TresorError('E_EXISTS', `a user "${input.name}" exists already`);
  const row: UserRow = {
    v: 1, name: input.name, roles: input.roles, passwordHash: input.password === undefined ? NO_PASSWORD : await hashPassword(input.password), disabled: false,
    createdAt: Date.now(), createdBy: by, totpSecret: null, totpLastStep: -1, sessionEpoch: 0, lang: null,
  };
  await commit(store, log, row, { actor: by, action: 'user.created', target: `user:${row.name}`, detail: { roles: row.roles } }, true);
  return row;
}

export async function updateUser(
  store: IndexStore, log: LogWriter, by: string, name: string,
  change: {
    roles?: Role[];
    /** roles added to whatever the row holds inside the transaction (an approved grant) */
    addRoles?: Role[];
    disabled?: boolean; password?: string; endSessions?: boolean;
    totpSecret?: SealedTotp | null; totpLastStep?: number; lang?: 'de' | 'en';
    /** more facts for the log entry (the approval behind a change) */
    logDetail?: Record<string, unknown>;
  },
): Promise<UserRow> {
  mustUser(store, name);
  assertSealed(change.totpSecret);
  // The slow part (scrypt) first; the change itself is applied to the row as it is inside
  // the write transaction, so a console edit and a CLI edit at the same moment cannot
  // undo each other.
  const passwordHash = change.password !== undefined ? await hashPassword(change.password) : undefined;
  const apply = (u: UserRow) => {
    const row: UserRow = { ...u };
    const detail: Record<string, unknown> = {};
    let action = 'user.changed';
    if (change.roles) {
      row.roles = change.roles;
      detail.roles = change.roles;
    }
    if (change.addRoles) {
      row.roles = [...new Set([...row.roles, ...change.addRoles])];
      detail.roles = row.roles;
    }
    if (change.disabled !== undefined) {
      row.disabled = change.disabled;
      action = change.disabled ? 'user.disabled' : 'user.enabled';
    }
    if (passwordHash !== undefined) {
      row.passwordHash = passwordHash;
      row.passwordLink = null;
      action = 'user.password.reset';
    }
    if (change.totpSecret !== undefined) {
      row.totpSecret = change.totpSecret;
      row.totpLastStep = -1;
      action = change.totpSecret ? 'user.totp.enrolled' : 'user.totp.removed';
    }
    if (change.totpLastStep !== undefined) row.totpLastStep = change.totpLastStep;
    if (change.lang) row.lang = change.lang;
    // Any change to who someone is or may be ends their sessions: a disabled user or a
    // reset password must not keep a console open somewhere.
    if (change.endSessions || change.disabled || passwordHash !== undefined || change.roles || change.addRoles || change.totpSecret !== undefined) {
      row.sessionEpoch = u.sessionEpoch + 1;
      detail.sessionsEnded = true;
      if (action === 'user.changed' && change.endSessions && !change.roles) action = 'user.sessions.ended';
    }
    Object.assign(detail, change.logDetail);
    return { row, action, detail };
  };
  // totp step and language are bookkeeping, not events worth an audit entry
  const quiet = Object.keys(change).every((k) => k === 'totpLastStep' || k === 'lang');
  const r = await store.tx(() => {
    const cur = store.users.get(name);
    if (!cur) return { error: `no user "${name}"`, code: 'E_NOT_FOUND' as const };
    const { row, action, detail } = apply(cur);
    if (!quiet) {
      const why = lastAdminProblem(store, cur, row);
      if (why) return { error: why, code: 'E_LAST_ADMIN' as const };
    }
    store.users.put(row);
    if (!quiet) log.appendSync([{ actor: by, action, target: `user:${name}`, detail }]);
    return { row };
  });
  if ('error' in r && r.error) throw new TresorError(r.code!, r.error);
  return (r as { row: UserRow }).row;
}
