import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { TresorError } from '../core/errors.ts';
import { fingerprint, formatKeks, keyPath, parseKeks, readKey, writeSecret, type KeySource } from './key-files.ts';
import type { KekRotationState } from '../store/index.ts';
import type { Keyring } from './keyring.ts';
import type { WrappedDek } from '../store/index.ts';

// KEK rotation (FORMAT.md, *KEK rotation*): the one code that reads the kek file besides
// the keyring, and the only one that rewrites it. DEKs are unwrapped here only to be
// rewrapped at once; none leaves this file.

// Progress of a rotation (KekRotationState, src/store/meta.ts) is kept durably by the host
// (index `meta` 'kekRotation') so a killed rotation resumes instead of starting over.
// It holds no key material.

/** What rotateKek needs from the index; crypto does not depend on it (DESIGN §2). */
export interface KekRotationHost {
  /** one LMDB write transaction; the callback runs inside it */
  transaction<T>(fn: () => T): Promise<T>;
  /** the wrapped-DEK table (recording ids and `q:<quarantine id>`) */
  keys: {
    getRange(o: { start?: string }): Iterable<{ key: string; value: WrappedDek }>;
    get(id: string): WrappedDek | undefined;
    put(id: string, w: WrappedDek): unknown;
  };
  getState(): KekRotationState | undefined;
  /** inside a transaction */
  putState(s: KekRotationState | undefined): void;
  /** inside the transaction that records a new epoch, before the kek file gets it: the
   *  host stores its fingerprint, so the epoch is known when the file has it */
  onNewEpoch(epoch: number, fingerprint: string): void;
  /** inside the switch transaction, once every DEK is under the new epoch: store the new
   *  fingerprint and log `keys.rotated` */
  onSwitch(info: { from: number[]; to: number; rewrapped: number; fingerprint: string }): void;
  /** throws when another process has the index open: its keyring in memory would keep
   *  wrapping new DEKs under an epoch that is about to be deleted */
  assertExclusive(): void;
}

export interface KekRotationReport {
  from: number[];
  to: number;
  rewrapped: number;
  /** a rotation interrupted earlier was finished */
  resumed: boolean;
}

export const ROTATE_FAULT_POINTS = ['recorded', 'added', 'rewrapping', 'switched', 'dropped'] as const;
export type RotateFaultPoint = (typeof ROTATE_FAULT_POINTS)[number];

export function credentialsRotationHelp(src: KeySource, dataDir: string): string {
  return `the keys come from systemd credentials (${src.dir}), a read-only copy that Tresor cannot change, ` +
    'so the KEK cannot be rotated in place. To rotate: stop the service; copy the credential files (the ones ' +
    `LoadCredential= names, e.g. /etc/credstore/tresor-*) to ${join(dataDir, 'keys')}/kek, log-signing and ` +
    'index-secret (directory 0700, files 0600, owned by the tresor user); run `tresor keys rotate` without ' +
    `CREDENTIALS_DIRECTORY; install the new ${join(dataDir, 'keys', 'kek')} as the tresor-kek credential ` +
    `(replacing the old file, and its backups); delete ${join(dataDir, 'keys')}; start the service.`;
}

/**
 * Rotates the key-encryption key:
 * 1. a new epoch (random 32 bytes): its number and fingerprint are recorded in the index
 *    first (progress row + the site's known epochs), then it is added to the kek file
 *    (temp file, fsync, rename, fsync dir; mode 0600); from then on it wraps new DEKs;
 * 2. every wrapped DEK in the index is rewrapped under it, `batchSize` per transaction
 *    (an entry a purge removed meanwhile is never written back);
 * 3. one switch transaction rewraps any straggler, stores the new epoch's fingerprint as
 *    the site's KEK fingerprint and logs `keys.rotated`;
 * 4. the kek file is rewritten with only the new epoch: every old KEK is gone, so a
 *    wrapped DEK that survives elsewhere (a free LMDB page, an old index backup) no
 *    longer opens.
 * The progress row lets a killed rotation resume (run it again). Between 3 and 4 the
 * service refuses to start (the file's lowest epoch no longer matches the stored
 * fingerprint) until the rotation is run again and finishes.
 */
export async function rotateKek(
  keyring: Pick<Keyring, 'source'>,
  host: KekRotationHost,
  dataDir: string,
  opts: { batchSize?: number; onProgress?: (done: number) => void; fault?: (p: RotateFaultPoint) => void } = {},
): Promise<KekRotationReport> {
  const src = keyring.source;
  if (src.kind === 'systemd-credentials') throw new TresorError('E_KEYS_INVALID', credentialsRotationHelp(src, dataDir));
  host.assertExclusive();
  const fault = opts.fault ?? (() => {});
  const batchSize = opts.batchSize ?? 1000;
  const path = keyPath(src, 'kek');
  const keks = parseKeks(readKey(src, 'kek'));
  let st = host.getState();
  const resumed = st !== undefined;
  // Killed between recording the new epoch and writing it to the file: nothing can be
  // wrapped under a key that never reached the file, so a fresh key takes its place.
  const neverWritten = st !== undefined && !keks.has(st.to) && st.state === 'rewrap' && st.rewrapped === 0;
  if (st && !keks.has(st.to) && !neverWritten) {
    throw new TresorError('E_KEYS_MISSING',
      `a KEK rotation to epoch ${st.to} was interrupted, but epoch ${st.to} is not in ${path} (was the file replaced?). ` +
      'Restore the kek file that has that epoch, then run `tresor keys rotate` again.');
  }
  if (!st || neverWritten) {
    const to = st?.to ?? Math.max(...keks.keys()) + 1;
    const key = new Uint8Array(randomBytes(32));
    const from = st?.from ?? [...keks.keys()].sort((a, b) => a - b);
    const fresh: KekRotationState = { to, from, fingerprint: fingerprint(key), state: 'rewrap', startedAt: Date.now(), rewrapped: 0 };
    // Crash story: the index knows the new epoch (and its fingerprint) before the file
    // has it; a kill in between leaves a state that the next run completes (above).
    await host.transaction(() => {
      host.putState(fresh);
      host.onNewEpoch(to, fresh.fingerprint);
    });
    fault('recorded');
    keks.set(to, key);
    writeSecret(path, formatKeks(keks), true);
    st = fresh;
    fault('added');
  }
  const s: KekRotationState = st;
  const newKek = keks.get(s.to)!;
  const rewrap = (w: WrappedDek): WrappedDek => {
    const kek = keks.get(w.epoch);
    if (!kek) throw new TresorError('E_CRYPTO', `a data key is wrapped under KEK epoch ${w.epoch}, which is not in ${path}; rotation stopped, nothing lost`);
    const dek = nacl.secretbox.open(new Uint8Array(w.box), new Uint8Array(w.nonce), kek);
    if (!dek) throw new TresorError('E_CRYPTO', `a data key does not unwrap under KEK epoch ${w.epoch}; rotation stopped, nothing lost (run tresor fsck)`);
    const nonce = new Uint8Array(randomBytes(24));
    const out = { epoch: s.to, nonce, box: nacl.secretbox(dek, nonce, newKek) };
    dek.fill(0);
    return out;
  };

  let done = s.rewrapped;
  if (s.state === 'rewrap') {
    let cursor: string | undefined;
    for (;;) {
      const ids: string[] = [];
      let scanned = 0;
      let exhausted = true;
      for (const { key, value } of host.keys.getRange({ start: cursor })) {
        if (key === cursor) continue;
        cursor = key;
        if (value.epoch !== s.to) ids.push(key);
        if (++scanned >= batchSize) {
          exhausted = false;
          break;
        }
      }
      if (ids.length) {
        done += await host.transaction(() => {
          let n = 0;
          for (const id of ids) {
            const w = host.keys.get(id);
            if (!w || w.epoch === s.to) continue; // purged meanwhile: never written back
            host.keys.put(id, rewrap(w));
            n++;
          }
          host.putState({ ...s, rewrapped: done + n });
          return n;
        });
        opts.onProgress?.(done);
        fault('rewrapping');
      }
      if (exhausted) break;
    }
    host.assertExclusive();
    done = await host.transaction(() => {
      const stragglers: string[] = [];
      for (const { key, value } of host.keys.getRange({})) if (value.epoch !== s.to) stragglers.push(key);
      for (const id of stragglers) host.keys.put(id, rewrap(host.keys.get(id)!));
      const total = done + stragglers.length;
      host.onSwitch({ from: s.from, to: s.to, rewrapped: total, fingerprint: s.fingerprint });
      host.putState({ ...s, state: 'drop', rewrapped: total });
      return total;
    });
    fault('switched');
  }
  // Only the new epoch stays. Every DEK was checked to be under it in the switch.
  writeSecret(path, formatKeks(new Map([[s.to, newKek]])), true);
  fault('dropped');
  await host.transaction(() => host.putState(undefined));
  return { from: s.from, to: s.to, rewrapped: done, resumed };
}
