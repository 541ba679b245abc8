import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { TresorError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Config } from '../config/index.ts';
import { openIndex, type IndexStore } from '../index/index.ts';
import { openKeyring, type Keyring } from '../crypto/index.ts';
import { createNoteSigner } from '../crypto/signing.ts';
import { listSegmentFiles } from '../archive/index.ts';
import { createAuditLog, type AuditLog } from '../audit/index.ts';
import { join } from 'node:path';

/** Facts fixed at first start; a later start with other keys or origin refuses to run. */
export interface SiteMeta {
  id: string;
  createdAt: string;
  origin: string;
  fingerprints: Keyring['fingerprints'];
}

export interface Site {
  config: Config;
  store: IndexStore;
  keys: Keyring;
  log: AuditLog;
  meta: SiteMeta;
  close(): Promise<void>;
}

function defaultOrigin(siteId: string): string {
  const host = hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-') || 'localhost';
  return `${host}/tresor/${siteId.slice(-10).toLowerCase()}`;
}

/** Opens index, keys and log in the one order that fails closed. */
export function openSite(config: Config): Site {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = openIndex(config.dataDir);
  try {
    let meta = store.meta.get('site') as SiteMeta | undefined;
    const archiveExists = meta !== undefined || listSegmentFiles(join(config.dataDir, 'archive')).length > 0;
    const keys = openKeyring(config.dataDir, archiveExists);
    if (meta) {
      for (const k of ['kek', 'logSigning', 'indexSecret'] as const) {
        if (meta.fingerprints[k] !== keys.fingerprints[k]) {
          throw new TresorError('E_KEYS_INVALID',
            `the ${k} key in ${keys.source.dir} is not the one this archive was created with ` +
            `(fingerprint ${keys.fingerprints[k]}, expected ${meta.fingerprints[k]}). Refusing to start.`);
        }
      }
      if (config.log.origin && config.log.origin !== meta.origin) {
        throw new TresorError('E_CONFIG',
          `log.origin is "${config.log.origin}" but this archive's log was started as "${meta.origin}"; ` +
          'an origin cannot change (auditors pin it). Remove log.origin from the configuration.');
      }
    } else {
      const id = newId();
      meta = { id, createdAt: new Date().toISOString(), origin: config.log.origin ?? defaultOrigin(id), fingerprints: keys.fingerprints };
      const m = meta;
      store.root.transactionSync(() => {
        if (!store.meta.get('site')) store.meta.put('site', m);
      });
      meta = store.meta.get('site') as SiteMeta;
    }
    const signer = createNoteSigner(meta.origin, keys.logSigningSeed());
    const log = createAuditLog(store, { signer, origin: meta.origin });
    return { config, store, keys, log, meta, close: () => store.close() };
  } catch (e) {
    void store.close();
    throw e;
  }
}
