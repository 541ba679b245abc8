import { TresorError } from '../core/errors.ts';
import type { IndexStore } from '../store/index.ts';

/**
 * TOTP secrets at rest (issue 16): sealed by the keyring, so a copy of data.mdb (a backup,
 * a stolen disk) does not hand out everyone's second factor. Auth never sees a key: the
 * composition root passes the keyring, which offers exactly these two operations.
 */
export interface SecretSealer {
  sealSecret(context: string, plain: string): string;
  openSecret(context: string, sealed: string): string;
}

/** A TOTP secret as the user row stores it; only sealTotp makes one. */
export type SealedTotp = string & { readonly __sealedTotp: true };

// Versions before the sealing stored the base32 secret itself; sealed values start with
// "s1." and are never base32.
const CLEAR_B32 = /^[A-Z2-7]+=*$/;

const context = (user: string) => `totp:${user}`;

export function sealTotp(sealer: SecretSealer, user: string, secretB32: string): SealedTotp {
  return sealer.sealSecret(context(user), secretB32) as SealedTotp;
}

/** The base32 secret of a user's TOTP, or null when none is enrolled. */
export function openTotp(sealer: SecretSealer, u: { name: string; totpSecret: string | null }): string | null {
  if (!u.totpSecret) return null;
  // a row from before the sealing, until sealClearTotpSecrets has run at start
  if (CLEAR_B32.test(u.totpSecret)) return u.totpSecret;
  return sealer.openSecret(context(u.name), u.totpSecret);
}

/** Refuses to store a secret that is not sealed (a caller that forgot sealTotp). */
export function assertSealed(v: string | null | undefined): void {
  if (typeof v === 'string' && CLEAR_B32.test(v)) {
    throw new TresorError('E_INTERNAL', 'refusing to store a TOTP secret in the clear (seal it with sealTotp)');
  }
}

/** Seals the TOTP secrets that older versions stored in the clear; run at start. Returns how many. */
export async function sealClearTotpSecrets(store: IndexStore, sealer: SecretSealer): Promise<number> {
  const clear = store.users.all().filter((u) => typeof u.totpSecret === 'string' && CLEAR_B32.test(u.totpSecret));
  if (!clear.length) return 0;
  return store.tx(() => {
    let n = 0;
    for (const { name } of clear) {
      const cur = store.users.get(name);
      if (!cur || typeof cur.totpSecret !== 'string' || !CLEAR_B32.test(cur.totpSecret)) continue;
      store.users.put({ ...cur, totpSecret: sealTotp(sealer, cur.name, cur.totpSecret) });
      n++;
    }
    return n;
  });
}
