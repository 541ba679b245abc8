import { randomBytes } from 'node:crypto';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore } from '../store/index.ts';
import type { Role } from './roles.ts';
import { sealTotp, type SecretSealer } from './sealed.ts';
import { checkTotp, newTotpSecret, otpauthUri } from './totp.ts';
import { updateUser } from './users.ts';
import type { UserRow } from '../store/index.ts';

/**
 * TOTP (RFC 6238) enrolment, one path for every way in (issue 10 item 2): first sign-in
 * of a user who must have it (src/auth/index.ts), the account page, and `tresor user
 * totp` on the box. Before, each had its own rule for "who needs a second factor" — the
 * login asked "enrolled, or privileged under the policy", the account page and the CLI
 * "privileged under the policy" with their own role lists — and its own way to store it.
 */

/** The issuer name authenticator apps show next to the account. */
export const TOTP_ISSUER = 'Tresor';

/** Roles that must use a second factor when `auth.requireTotpForPrivileged` is on: they decide about others' data. */
export const TOTP_PRIVILEGED_ROLES: readonly Role[] = ['admin', 'dpo'];

/**
 * The one rule. `atSignIn`: a sign-in needs a code (enrolled, or obliged by the policy —
 * an obliged user without a secret enrols first). `byPolicy`: the policy obliges this
 * user, so the factor cannot be removed by its owner (and the CLI warns when it is).
 */
export function totpRequired(u: Pick<UserRow, 'roles' | 'totpSecret'>, requireForPrivileged: boolean): { atSignIn: boolean; byPolicy: boolean } {
  const byPolicy = requireForPrivileged && u.roles.some((r) => TOTP_PRIVILEGED_ROLES.includes(r));
  return { atSignIn: !!u.totpSecret || byPolicy, byPolicy };
}

/** A secret offered for enrolment: never in a form, never in the index until a code proves the app has it. */
export interface PendingTotp {
  user: string;
  secret: string;
  expires: number;
}

/**
 * Secrets offered but not confirmed yet, in memory only, by a key the caller chooses (a
 * random token handed to the browser at sign-in, the session on the account page).
 */
export class TotpEnrolments {
  readonly #pending = new Map<string, PendingTotp>();
  constructor(private readonly o: { ttlMs: number; now?: () => number }) {}

  #now(): number {
    return (this.o.now ?? Date.now)();
  }

  /**
   * Offers a fresh secret under `key` (a new random token when none is given). Expired
   * offers go; with `onePerUser`, so do the user's other offers (the last sign-in wins).
   */
  start(user: string, o: { key?: string; onePerUser?: boolean } = {}): { key: string; secret: string; uri: string } {
    const now = this.#now();
    for (const [k, p] of this.#pending) if (p.expires < now || (o.onePerUser && p.user === user)) this.#pending.delete(k);
    const key = o.key ?? randomBytes(32).toString('base64url');
    const secret = newTotpSecret();
    this.#pending.set(key, { user, secret, expires: now + this.o.ttlMs });
    return { key, secret, uri: otpauthUri(TOTP_ISSUER, user, secret) };
  }

  /** The live offer under `key` (for `user`, when given), or null. */
  get(key: string, user?: string): (PendingTotp & { uri: string }) | null {
    const p = this.#pending.get(key);
    if (!p || p.expires < this.#now() || (user !== undefined && p.user !== user)) return null;
    return { ...p, uri: otpauthUri(TOTP_ISSUER, p.user, p.secret) };
  }

  /** Drops the offer under `key` (an expired one is dropped by `get` callers this way too). */
  drop(key: string): void {
    this.#pending.delete(key);
  }

  /** The step a code proves for the offer, or null (wrong code). The offer stays until confirmed. */
  check(p: PendingTotp, code: string): number | null {
    return checkTotp(p.secret, code, this.#now());
  }
}

/**
 * Stores a user's TOTP secret, sealed (src/auth/sealed.ts); the single write of every
 * enrolment path. `usedStep`: the code that proved the enrolment counts as used and
 * cannot sign anyone in a second time. Logged `user.totp.enrolled`, sessions end.
 */
export function storeTotpSecret(
  deps: { store: IndexStore; log: LogWriter; secrets: SecretSealer }, by: string, user: string, secret: string, usedStep?: number,
): Promise<UserRow> {
  return updateUser(deps.store, deps.log, by, user, {
    totpSecret: sealTotp(deps.secrets, user, secret), ...(usedStep !== undefined ? { totpLastStep: usedStep } : {}),
  });
}
