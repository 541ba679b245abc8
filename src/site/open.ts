import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { TresorError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Config } from '../config/index.ts';
import { openIndex, type IndexStore, type KekRotationState, type SiteMeta } from '../store/index.ts';
import { inspectIndexFile } from '../store/meta-page.ts';
import { openKeyring, type Keyring } from '../crypto/index.ts';
import { createAuditLog, type AuditLog } from '../audit/index.ts';
import { join } from 'node:path';
import { archiveTraces, describeTraces, hasTraces } from './traces.ts';

/**
 * Which KEK epochs (and fingerprints) the archive knows. For an archive from before
 * `kekEpochs`: the lowest epoch in the file under the stored KEK fingerprint, plus what a
 * pending rotation recorded.
 */
export function knownKekEpochs(meta: SiteMeta, keys: Keyring, pending: KekRotationState | undefined): Record<string, string> {
  if (meta.kekEpochs) return meta.kekEpochs;
  if (!pending) return { [String(keys.epochs[0])]: meta.fingerprints.kek };
  // mid-rotation (begun by an older version): the epochs it began with, and its new one
  const known: Record<string, string> = {};
  for (const e of pending.from) if (keys.epochFingerprints[String(e)]) known[String(e)] = keys.epochFingerprints[String(e)]!;
  known[String(pending.to)] = pending.fingerprint;
  return known;
}

/** Every epoch in the kek file must be one this archive made (issue 9: an appended line was accepted). */
export function checkKekEpochs(meta: SiteMeta, keys: Keyring, pending: KekRotationState | undefined): void {
  const known = knownKekEpochs(meta, keys, pending);
  for (const e of keys.epochs) {
    const fp = keys.epochFingerprints[String(e)];
    if (known[String(e)] !== fp) {
      throw new TresorError('E_KEYS_INVALID',
        `the kek file in ${keys.source.dir} has epoch ${e} (fingerprint ${fp}), which is not one this archive knows` +
        `${known[String(e)] ? ` (its epoch ${e} has fingerprint ${known[String(e)]})` : ''}: a line added by hand, or a kek file of another archive? ` +
        'New recordings would be sealed under it. Restore the kek file from your backup (new epochs come only from `tresor keys rotate`). Refusing to start.');
    }
  }
}

/** A rotation stopped between switching the index to the new KEK and dropping the old epochs. */
function rotationUnfinished(pending: KekRotationState, dir: string): TresorError {
  return new TresorError('E_ROTATION_UNFINISHED',
    `a key rotation to epoch ${pending.to} was interrupted (${pending.state === 'drop' ? 'after the index switched to the new key' : 'while data keys were rewrapped'}); ` +
    `the kek file in ${dir} is not wrong. With the service stopped, run \`tresor keys rotate\` again: it finishes the rotation, then the archive opens.`,
  { detail: { toEpoch: pending.to, state: pending.state } });
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

export interface OpenSiteOptions {
  /**
   * Create the archive when there is none (only `tresor serve` and `tresor init`): every
   * other command must find an existing archive, never make one wherever it runs.
   */
  create?: boolean;
  /** open the index read-only and write nothing */
  readOnly?: boolean;
  /**
   * Read-only in all but the access log (fsck): the index opens writable, so the command
   * can log `archive.checked` before it decrypts anything (DESIGN §1), and nothing else is
   * written at open (no upgrade of older rows, no catching-up of the log index). LMDB has
   * no per-table read-only mode, and opening the same environment a second time in one
   * process (writable for the entry, then read-only) is what lmdb-js does not promise to
   * keep apart, so one writable open with the writes held back is the safe way.
   */
  logOnly?: boolean;
  /** with create: the keys in <data>/keys are this site's (only `tresor index rebuild`) */
  adoptKeys?: boolean;
}

/** There is no archive here; the CLI adds where it looked. */
export function noArchive(dataDir: string): TresorError {
  return new TresorError('E_NO_ARCHIVE', `there is no archive in ${dataDir}`, { detail: { dataDir } });
}

/**
 * The index is gone or empty, but segments, keys or quarantined files remain: refuse,
 * whatever the command (a silent new archive here would hide the old one).
 */
function indexLost(dataDir: string, what: string, traces: string): TresorError {
  return new TresorError('E_INDEX_DAMAGED',
    `the index of the archive in ${dataDir} is ${what}, but the data directory still holds ${traces}. ` +
    'Refusing to start a new, empty archive on top of it (a new site id and an empty log would hide what is there). ' +
    'Restore the index folder from your backup, with the service stopped. Without a backup, `tresor index rebuild` ' +
    'sets up a new index and says exactly what it cannot bring back (see README, "A damaged index").',
  { detail: { dataDir } });
}

/**
 * Before anything opens the index: a file cut short is refused before LMDB maps it (it
 * would be a SIGBUS), and a missing or empty index next to segments, keys or quarantined
 * files is refused too. Returns false when there is no index and `create` allows one
 * (otherwise that is E_NO_ARCHIVE).
 */
export function checkIndexFile(dataDir: string, create = false, adoptKeys = false): boolean {
  const file = inspectIndexFile(dataDir);
  if (file.kind !== 'missing' && file.kind !== 'empty') return true;
  const traces = archiveTraces(dataDir);
  if (adoptKeys) traces.keys = [];
  if (hasTraces(traces)) throw indexLost(dataDir, file.kind === 'empty' ? 'empty (index/data.mdb has 0 bytes)' : 'missing (no index/data.mdb)', describeTraces(traces));
  if (!create) throw noArchive(dataDir);
  return false;
}

/** Opens index, keys and log in the one order that fails closed. */
export function openSite(config: Config, opts: OpenSiteOptions = {}): Site {
  const { dataDir } = config;
  const create = opts.create === true && !opts.readOnly && !opts.logOnly;
  if (!checkIndexFile(dataDir, create, opts.adoptKeys)) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = openIndex(dataDir, { readOnly: opts.readOnly });
  try {
    let meta = store.meta.site();
    if (!meta) {
      // An index without the site's facts: the very first start died before writing them
      // (keys may exist already), or the index file was replaced by an empty one.
      const traces = archiveTraces(dataDir);
      if (traces.segments.length || traces.quarantine.length) throw indexLost(dataDir, 'empty (it holds no archive)', describeTraces(traces));
      if (!create) throw noArchive(dataDir);
    }
    const keys = openKeyring(dataDir, meta !== undefined || !create, process.env, store.keys);
    if (meta) {
      const pending = store.meta.kekRotation();
      if (pending && meta.fingerprints.kek !== keys.fingerprints.kek) throw rotationUnfinished(pending, keys.source.dir);
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
      checkKekEpochs(meta, keys, pending);
      if (!meta.kekEpochs && !opts.readOnly && !opts.logOnly) {
        const m = { ...meta, kekEpochs: knownKekEpochs(meta, keys, pending) };
        store.txSync(() => store.meta.putSite(m));
        meta = m;
      }
    } else {
      const id = newId();
      meta = {
        id, createdAt: new Date().toISOString(), origin: config.log.origin ?? defaultOrigin(id),
        fingerprints: keys.fingerprints, kekEpochs: keys.epochFingerprints,
      };
      const m = meta;
      store.txSync(() => {
        if (!store.meta.site()) store.meta.putSite(m);
      });
      meta = store.meta.site()!;
    }
    const signer = keys.noteSigner(meta.origin);
    const log = createAuditLog(store, { signer, origin: meta.origin, readOnly: opts.readOnly || opts.logOnly });
    return { config, store, keys, log, meta, close: () => store.close() };
  } catch (e) {
    void store.close();
    throw e;
  }
}
