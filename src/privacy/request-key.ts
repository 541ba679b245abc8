import { TresorError } from '../core/errors.ts';
import type { Keyring } from '../crypto/index.ts';
import type { IndexStore } from '../store/index.ts';
import type { PrivacyDeps } from './deps.ts';

/**
 * Each request's personal data — the identifiers, the reasons, the DPO's notes — is sealed
 * under the request's own data key: `r:<request id>` in the key table, wrapped by the KEK
 * like a recording's (DESIGN §4). Destroying that one entry crypto-shreds the request:
 * every sealed value of it, also old copies lingering in free LMDB pages, becomes
 * unreadable, and after the next KEK rotation so does any stale wrapped copy of the key.
 *
 * Values sealed before requests had their own key (prefix `s1.`, a key derived per
 * context from the site secret) cannot be shredded that way; the shredding removes them
 * from the row instead (src/privacy/request-shred.ts).
 */

export const requestKeyId = (id: string) => `r:${id}`;
const PREFIX = 'k1.';

type Sealing = Pick<PrivacyDeps, 'keys'> & { store: IndexStore };

/**
 * Seals `plain` under the request's key, creating the key on first use; call it inside the
 * write transaction that stores the sealed value (the new key is stored in the same commit,
 * so nothing is ever sealed under a key that was not kept). Without a key sealer (an old
 * wiring) the per-context seal is used.
 */
export function sealForRequest(deps: Sealing, id: string, plain: string): string {
  const sealFor = deps.keys.sealFor;
  if (!sealFor) return deps.keys.sealSecret(`request:${id}`, plain);
  const k = requestKeyId(id);
  const s = sealFor(k);
  if (!deps.store.keys.has(k)) deps.store.keys.put(k, s.wrapped);
  return PREFIX + s.seal(Buffer.from(plain, 'utf8')).toString('base64url');
}

/** Opens a value sealed for request `id` (either kind); E_NOT_FOUND once the request was shredded. */
export function openForRequest(keys: Pick<Keyring, 'openRecording' | 'openSecret'>, id: string, sealed: string): string {
  if (!sealed.startsWith(PREFIX)) return keys.openSecret(`request:${id}`, sealed);
  return keys.openRecording(requestKeyId(id)).open(Buffer.from(sealed.slice(PREFIX.length), 'base64url')).toString('utf8');
}

/** The only key sealer the web layer gets: request keys, never a recording's (it cannot open anything with it). */
export function requestKeySealer(keys: Pick<Keyring, 'sealFor'>): Keyring['sealFor'] {
  return (id) => {
    if (!id.startsWith('r:')) throw new TresorError('E_FORBIDDEN', 'only request keys are sealed here');
    return keys.sealFor(id);
  };
}
