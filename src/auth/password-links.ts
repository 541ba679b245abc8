import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore, UserRow } from '../store/index.ts';
import { hashPassword } from './passwords.ts';
import { getUser, NO_PASSWORD } from './users.ts';

/**
 * Set-password links (issue 16): an administrator who creates an account or resets a
 * password in the console never types — and so never knows — a working password of
 * someone else. They get a one-time link for the person instead; the person picks their
 * own password there. A reset ends the old password and every session at once.
 *
 * The link passes through the administrator's hands: when it was used is logged
 * (`user.password.set`), and a person whose link was used by someone else finds it void
 * and says so. With TOTP enrolled, a password alone signs nobody in.
 *
 * Only the SHA-256 of the link's 256-bit secret is stored, on the user row; a new link
 * replaces the old one.
 */
export const PASSWORD_LINK_TTL_MS = 72 * 3600_000;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export async function issuePasswordLink(store: IndexStore, log: LogWriter, by: string, name: string, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now + PASSWORD_LINK_TTL_MS;
  const ok = await store.tx(() => {
    const u = store.users.get(name);
    if (!u) return false;
    store.users.put({ ...u, passwordHash: NO_PASSWORD, passwordLink: { sha256: sha(token), expiresAt, by }, sessionEpoch: u.sessionEpoch + 1 } satisfies UserRow);
    log.appendSync([{
      actor: by, action: 'user.password.reset', target: `user:${name}`,
      detail: { via: 'link', expiresAt: new Date(expiresAt).toISOString(), sessionsEnded: true },
    }]);
    return true;
  });
  if (!ok) throw new TresorError('E_NOT_FOUND', `no user "${name}"`);
  return { token, expiresAt };
}

function linkMatches(u: UserRow | undefined, token: string, now: number): boolean {
  const l = u?.passwordLink;
  if (!u || !l || l.expiresAt < now || !TOKEN_RE.test(token)) return false;
  return timingSafeEqual(Buffer.from(sha(token), 'hex'), Buffer.from(l.sha256, 'hex'));
}

export function passwordLinkValid(store: IndexStore, name: string, token: string, now = Date.now()): boolean {
  return linkMatches(getUser(store, name), token, now);
}

/** The person behind the link sets their password; the link is used up. */
export async function setPasswordWithLink(
  store: IndexStore, log: LogWriter, name: string, token: string, password: string, o: { now?: number } = {},
): Promise<UserRow> {
  const now = o.now ?? Date.now();
  if (!passwordLinkValid(store, name, token, now)) throw new TresorError('E_FORBIDDEN', 'this link is not valid (used, replaced or expired); ask an administrator for a new one');
  const hash = await hashPassword(password);
  // re-checked inside the transaction: two tabs submitting at once use the link once
  const row = await store.tx(() => {
    const u = store.users.get(name);
    if (!u || !linkMatches(u, token, now)) return null;
    const next: UserRow = { ...u, passwordHash: hash, passwordLink: null, sessionEpoch: u.sessionEpoch + 1 };
    store.users.put(next);
    log.appendSync([{ actor: `user:${name}`, action: 'user.password.set', target: `user:${name}`, detail: { via: 'link', sessionsEnded: true } }]);
    return next;
  });
  if (!row) throw new TresorError('E_FORBIDDEN', 'this link is not valid (used, replaced or expired); ask an administrator for a new one');
  return row;
}
