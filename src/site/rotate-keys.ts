import { TresorError } from '../core/errors.ts';
import type { Config } from '../config/index.ts';
import { openIndex, type IndexStore, type WrappedDek } from '../store/index.ts';
import { compactIndex } from '../store/compact.ts';
import { assertIndexExclusive } from '../store/holders.ts';
import { openKeyring, rotateKek, type KekRotationReport, type RotateFaultPoint } from '../crypto/index.ts';
import { createAuditLog } from '../audit/index.ts';
import { checkIndexFile, checkKekEpochs, knownKekEpochs, noArchive } from './open.ts';

export interface RotateKeysReport extends KekRotationReport {
  /** index pages before/after the copy-compaction that drops free pages (null: skipped) */
  index: { beforePages: number; afterPages: number } | null;
  seconds: number;
}

/**
 * `tresor keys rotate`: KEK rotation (crypto/kek-rotation.ts rotateKek) plus the index
 * compaction that drops LMDB's free pages, with the service stopped.
 *
 * Why the service must be stopped: its keyring lives in memory; a process that loaded
 * the kek file before the new epoch was added would go on wrapping new DEKs under an
 * epoch this rotation deletes. And compactIndex swaps data.mdb under every other reader.
 * Other users of the index are found through the kernel's lock table (index/holders.ts).
 *
 * Does not use openSite: after an interruption between the fingerprint switch and the
 * kek-file rewrite, openSite refuses (by design) and this is the way to finish.
 */
export async function rotateKeys(config: Config, opts: {
  actor: string;
  compactIndex?: boolean;
  batchSize?: number;
  onProgress?: (msg: string) => void;
  fault?: (p: RotateFaultPoint) => void;
  env?: NodeJS.ProcessEnv;
}): Promise<RotateKeysReport> {
  const t0 = performance.now();
  const say = opts.onProgress ?? (() => {});
  assertIndexExclusive(config.dataDir, 'key rotation');
  checkIndexFile(config.dataDir);
  const store: IndexStore = openIndex(config.dataDir);
  let report: KekRotationReport;
  try {
    const meta = store.meta.site();
    if (!meta) throw noArchive(config.dataDir);
    const keys = openKeyring(config.dataDir, true, opts.env, store.keys);
    const pending = store.meta.kekRotation();
    for (const k of ['logSigning', 'indexSecret'] as const) {
      if (meta.fingerprints[k] !== keys.fingerprints[k]) {
        throw new TresorError('E_KEYS_INVALID', `the ${k} key in ${keys.source.dir} is not this archive's (fingerprint ${keys.fingerprints[k]}, expected ${meta.fingerprints[k]})`);
      }
    }
    // The kek fingerprint may legitimately differ in one state: switched, not yet dropped.
    const kekOk = meta.fingerprints.kek === keys.fingerprints.kek ||
      (pending?.state === 'drop' && pending.fingerprint === meta.fingerprints.kek && keys.epochs.includes(pending.to));
    if (!kekOk) {
      throw new TresorError('E_KEYS_INVALID', `the kek in ${keys.source.dir} is not this archive's (fingerprint ${keys.fingerprints.kek}, expected ${meta.fingerprints.kek})`);
    }
    checkKekEpochs(meta, keys, pending);
    if (pending) say(`keys: finishing the rotation to epoch ${pending.to} that was interrupted (${pending.state})`);
    const log = createAuditLog(store, { signer: keys.noteSigner(meta.origin), origin: meta.origin });
    report = await rotateKek(keys, {
      // all-or-nothing: a batch whose rewrap throws (a DEK under an unknown epoch) keeps nothing
      transaction: (fn) => store.tx(fn),
      keys: {
        getRange: (o) => keyEntries(store.keys.entries(o)),
        get: (id) => store.keys.get(id),
        put: (id, w) => store.keys.put(id, w),
      },
      getState: () => store.meta.kekRotation(),
      putState(s) {
        if (s) {
          store.meta.putKekRotation(s);
          return;
        }
        // done: the file holds only the new epoch, and so does the list of known epochs
        const done = store.meta.kekRotation();
        store.meta.removeKekRotation();
        const m = store.meta.site()!;
        if (done) store.meta.putSite({ ...m, kekEpochs: { [String(done.to)]: done.fingerprint } });
      },
      onNewEpoch(epoch, fingerprint) {
        const m = store.meta.site()!;
        store.meta.putSite({ ...m, kekEpochs: { ...knownKekEpochs(m, keys, pending), [String(epoch)]: fingerprint } });
      },
      onSwitch(info) {
        const m = store.meta.site()!;
        store.meta.putSite({ ...m, fingerprints: { ...m.fingerprints, kek: info.fingerprint } });
        // epochs and a count only: never key material, never a fingerprint of a live key
        log.appendSync([{ actor: opts.actor, action: 'keys.rotated', target: 'keys', detail: { fromEpochs: info.from, toEpoch: info.to, rewrapped: info.rewrapped } }]);
      },
      assertExclusive: () => assertIndexExclusive(config.dataDir, 'key rotation'),
    }, config.dataDir, {
      batchSize: opts.batchSize,
      fault: opts.fault,
      onProgress: (n) => say(`keys: ${n} data keys rewrapped`),
    });
    await log.checkpointNow();
  } finally {
    await store.close();
  }
  let index: RotateKeysReport['index'] = null;
  if (opts.compactIndex !== false) {
    // Free pages still hold the old wraps (of purged and of live DEKs); they no longer
    // open, and the copy-compaction drops them from the file as well.
    assertIndexExclusive(config.dataDir, 'index compaction');
    say('keys: compacting the index (drops free pages)');
    index = await compactIndex(config.dataDir);
  }
  return { ...report, index, seconds: +((performance.now() - t0) / 1000).toFixed(3) };
}

/** The keys table as rotateKek walks it (crypto's host shape: key and value). */
function* keyEntries(it: Iterable<{ id: string; wrapped: WrappedDek }>): Iterable<{ key: string; value: WrappedDek }> {
  for (const e of it) yield { key: e.id, value: e.wrapped };
}
