import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdirDurableSync, writeFileDurableSync } from '../core/durable.ts';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { TresorError } from '../core/errors.ts';
import type { KekRotationState, WrappedDek } from '../store/index.ts';

/**
 * The keys of a site, and the only code that reads them from disk (DESIGN §4):
 *
 * - kek           key-encryption keys with epochs, one per line `<epoch> <base64 32 bytes>`;
 *                 the highest epoch wraps new DEKs, older ones still unwrap (rotation).
 * - log-signing   base64 Ed25519 seed (32 bytes) for the access log's checkpoints.
 * - index-secret  base64 32 bytes: HMAC key that turns phone numbers into index tokens.
 *
 * Source: `$CREDENTIALS_DIRECTORY/tresor-<name>` (systemd LoadCredential) when that
 * directory has them, else `<data>/keys/<name>` (mode 0600, created at first start).
 * A missing key for an archive that already exists is fatal: new keys would silently
 * fork the site (unreadable recordings, a log signed by a stranger).
 */
export interface KeySource {
  kind: 'systemd-credentials' | 'data-dir';
  dir: string;
}

export interface Keyring {
  source: KeySource;
  currentEpoch: number;
  /** every KEK epoch in the file, ascending */
  epochs: number[];
  /** short fingerprints, stored in the index at first start to detect a swapped key */
  fingerprints: { kek: string; logSigning: string; indexSecret: string };
  /** the fingerprint of every KEK epoch in the file (epoch → fingerprint): each must be
   *  one the archive knows, or an epoch appended by hand would seal new recordings */
  epochFingerprints: Record<string, string>;
  wrapDek(dek: Uint8Array): WrappedDek;
  unwrapDek(w: WrappedDek): Uint8Array;
  newDek(): Uint8Array;
  /** HMAC-SHA-256 token for an index lookup (phone numbers, agents) */
  token(kind: string, value: string): string;
  /**
   * Seals a small secret kept in the index (a user's TOTP secret) so a copy of data.mdb
   * does not hand it out; `context` (e.g. `totp:<user>`) binds it to its place: a sealed
   * value copied into another row does not open there.
   */
  sealSecret(context: string, plain: string): string;
  /** Opens what sealSecret made for the same context; throws E_CRYPTO otherwise. */
  openSecret(context: string, sealed: string): string;
  logSigningSeed(): Uint8Array;
}

/** How sealSecret's output starts (version 1: secretbox under a key derived per context). */
export const SEALED_PREFIX = 's1.';

// WrappedDek is the row of the store's `keys` table (src/store/keys.ts)

const NAMES = ['kek', 'log-signing', 'index-secret'] as const;
type KeyName = (typeof NAMES)[number];

export function keySource(dataDir: string, env: Record<string, string | undefined> = process.env): KeySource {
  const cred = env.CREDENTIALS_DIRECTORY;
  // Any one of our credentials there means the admin meant that source: a misnamed or
  // forgotten LoadCredential then fails as "missing", never falls back to fresh keys.
  if (cred && NAMES.some((n) => existsSync(join(cred, `tresor-${n}`)))) return { kind: 'systemd-credentials', dir: cred };
  return { kind: 'data-dir', dir: join(dataDir, 'keys') };
}

function keyPath(src: KeySource, name: KeyName): string {
  return join(src.dir, src.kind === 'systemd-credentials' ? `tresor-${name}` : name);
}

/**
 * Opens the keyring. `archiveExists` says whether an index was already initialised:
 * only a new archive may get new keys.
 */
export function openKeyring(dataDir: string, archiveExists: boolean, env = process.env): Keyring {
  const src = keySource(dataDir, env);
  const missing = NAMES.filter((n) => !existsSync(keyPath(src, n)));
  if (missing.length) {
    if (archiveExists || src.kind === 'systemd-credentials') {
      throw new TresorError('E_KEYS_MISSING',
        `key(s) ${missing.join(', ')} missing in ${src.dir}, but the archive in ${dataDir} already exists. ` +
        'Refusing to start: new keys would make every stored recording unreadable. ' +
        'Restore the keys from your backup (or point CREDENTIALS_DIRECTORY at them).');
    }
    createKeys(src);
  }
  return loadKeys(src);
}

function createKeys(src: KeySource): void {
  // the keys folder is fsynced into its parent: keys lost at a power cut while the
  // index survived would make the whole archive unreadable
  mkdirDurableSync(src.dir);
  chmodSync(src.dir, 0o700);
  writeSecret(keyPath(src, 'kek'), `1 ${randomBytes(32).toString('base64')}\n`);
  writeSecret(keyPath(src, 'log-signing'), `${randomBytes(32).toString('base64')}\n`);
  writeSecret(keyPath(src, 'index-secret'), `${randomBytes(32).toString('base64')}\n`);
}

/** exclusive temp file, fsync, rename, fsync dir (core/durable.ts): a crash never leaves a half-written key. */
function writeSecret(path: string, text: string, replace = false): void {
  if (!replace && existsSync(path)) return;
  writeFileDurableSync(path, text, 0o600);
}

function readKey(src: KeySource, name: KeyName): string {
  const p = keyPath(src, name);
  if (src.kind === 'data-dir') {
    const mode = statSync(p).mode & 0o777;
    if (mode & 0o077) {
      throw new TresorError('E_KEYS_INVALID', `${p} is readable by others (mode ${mode.toString(8)}); run chmod 600 ${p}`);
    }
  }
  return readFileSync(p, 'utf8');
}

function decode32(text: string, what: string): Uint8Array {
  const b = Buffer.from(text.trim(), 'base64');
  if (b.length !== 32) throw new TresorError('E_KEYS_INVALID', `${what}: expected 32 bytes of base64, got ${b.length}`);
  return new Uint8Array(b);
}

/**
 * The key that seals small secrets of one context. Derived from the index secret, not the
 * KEK: KEK rotation deletes old epochs (that is its point, for crypto-shredding), and a
 * TOTP secret must outlive it; the index secret never rotates (every phone token hangs on
 * it). An HMAC with a label of its own keeps this key apart from the lookup tokens.
 */
function sealKey(indexSecret: Uint8Array, context: string): Uint8Array {
  // the label has no NUL, so no token(kind, value) input (always `kind\0value`) equals it
  const master = createHmac('sha256', indexSecret).update('tresor seal v1').digest();
  return new Uint8Array(createHmac('sha256', master).update(context).digest());
}

function fingerprint(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

function parseKeks(text: string): Map<number, Uint8Array> {
  const keks = new Map<number, Uint8Array>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const m = /^(\d+)\s+(\S+)$/.exec(line.trim());
    if (!m) throw new TresorError('E_KEYS_INVALID', `kek: each line must be "<epoch> <base64 key>"`);
    keks.set(Number(m[1]), decode32(m[2]!, `kek epoch ${m[1]}`));
  }
  if (!keks.size) throw new TresorError('E_KEYS_INVALID', 'kek: no key in file');
  return keks;
}

function formatKeks(keks: Map<number, Uint8Array>): string {
  return [...keks].sort((a, b) => a[0] - b[0]).map(([e, k]) => `${e} ${Buffer.from(k).toString('base64')}\n`).join('');
}

function loadKeys(src: KeySource): Keyring {
  const keks = parseKeks(readKey(src, 'kek'));
  const currentEpoch = Math.max(...keks.keys());
  const firstEpoch = Math.min(...keks.keys());
  const seed = decode32(readKey(src, 'log-signing'), 'log-signing');
  const indexSecret = decode32(readKey(src, 'index-secret'), 'index-secret');

  return {
    source: src,
    currentEpoch,
    epochs: [...keks.keys()].sort((a, b) => a - b),
    epochFingerprints: Object.fromEntries([...keks].map(([e, k]) => [String(e), fingerprint(k)])),
    fingerprints: {
      kek: fingerprint(keks.get(firstEpoch)!),
      logSigning: fingerprint(nacl.sign.keyPair.fromSeed(seed).publicKey),
      indexSecret: fingerprint(indexSecret),
    },
    newDek: () => new Uint8Array(randomBytes(32)),
    wrapDek(dek) {
      const nonce = new Uint8Array(randomBytes(24));
      return { epoch: currentEpoch, nonce, box: nacl.secretbox(dek, nonce, keks.get(currentEpoch)!) };
    },
    unwrapDek(w) {
      const kek = keks.get(w.epoch);
      if (!kek) throw new TresorError('E_CRYPTO', `no key-encryption key for epoch ${w.epoch} (rotated away?)`);
      const dek = nacl.secretbox.open(new Uint8Array(w.box), new Uint8Array(w.nonce), kek);
      if (!dek) throw new TresorError('E_CRYPTO', 'data key does not unwrap: wrong key-encryption key or tampered index');
      return dek;
    },
    token: (kind, value) => createHmac('sha256', indexSecret).update(`${kind}\0${value}`).digest('hex'),
    sealSecret(context, plain) {
      const nonce = new Uint8Array(randomBytes(24));
      const box = nacl.secretbox(new Uint8Array(Buffer.from(plain, 'utf8')), nonce, sealKey(indexSecret, context));
      return SEALED_PREFIX + Buffer.concat([nonce, box]).toString('base64url');
    },
    openSecret(context, sealed) {
      const raw = sealed.startsWith(SEALED_PREFIX) ? Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url') : Buffer.alloc(0);
      const plain = raw.length > 24 ? nacl.secretbox.open(new Uint8Array(raw.subarray(24)), new Uint8Array(raw.subarray(0, 24)), sealKey(indexSecret, context)) : null;
      if (!plain) throw new TresorError('E_CRYPTO', `a sealed secret (${context.replace(/:.*/, '')}) does not open: wrong key, another row's value, or tampered index`);
      return Buffer.from(plain).toString('utf8');
    },
    logSigningSeed: () => seed,
  };
}

// ---------------------------------------------------------------------------------------
// KEK rotation (FORMAT.md, *KEK rotation*)

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
  keyring: Keyring,
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
