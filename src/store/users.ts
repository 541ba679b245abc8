import type { Role } from '../core/roles.ts';
import type { Handles } from './handles.ts';

/** A console/API user (src/auth/users.ts has the rules; this file has the row). */
export interface UserRow {
  v: 1;
  name: string;
  roles: Role[];
  /** scrypt hash, or NO_PASSWORD while a set-password link is out (src/auth/password-links.ts) */
  passwordHash: string;
  disabled: boolean;
  createdAt: number;
  createdBy: string;
  /** the TOTP secret once enrolled, sealed by the keyring (src/auth/sealed.ts) */
  totpSecret: string | null;
  /** last TOTP step accepted (a code works once) */
  totpLastStep: number;
  /** raised by password reset, disable and "log out everywhere": older sessions end */
  sessionEpoch: number;
  /** UI language */
  lang: 'de' | 'en' | null;
  /** an open set-password link: only the SHA-256 of its secret */
  passwordLink?: { sha256: string; expiresAt: number; by: string } | null;
}

/** `users`: user name → UserRow. Writes belong inside store.tx. */
export class UsersTable {
  readonly #db: Handles['users'];
  constructor(h: Handles) {
    this.#db = h.users;
  }

  get(name: string): UserRow | undefined {
    return this.#db.get(name) as UserRow | undefined;
  }

  /** every user, by name */
  all(): UserRow[] {
    return [...this.#db.getRange()].map((e) => e.value as UserRow);
  }

  /** none at all: the first-start setup link is still open (src/auth/setup.ts) */
  count(): number {
    return this.#db.getCount();
  }

  put(row: UserRow): void {
    void this.#db.put(row.name, row);
  }
}
