import type { LogWriter } from '../core/types.ts';
import type { PhoneConfig } from '../core/phone.ts';
import type { Keyring } from '../crypto/index.ts';
import type { IndexStore } from '../store/index.ts';

/** What the privacy workbench needs from a site: the keyring's tokens and sealing only, never key bytes. */
export interface PrivacyDeps {
  store: IndexStore;
  log: LogWriter;
  /** sealFor: only for request keys (`r:<id>`, src/privacy/request-key.ts); without it requests are sealed per context */
  keys: Pick<Keyring, 'tokenize' | 'sealSecret' | 'openSecret'> & { sealFor?: Keyring['sealFor'] };
  phone: PhoneConfig;
  /** the data directory: where released packages' plaintext copies are removed when their request closes */
  dataDir?: string;
}
