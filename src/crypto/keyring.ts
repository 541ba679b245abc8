import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync, fsyncSync, openSync, closeSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { TresorError } from '../core/errors.ts';

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
  /** short fingerprints, stored in the index at first start to detect a swapped key */
  fingerprints: { kek: string; logSigning: string; indexSecret: string };
  wrapDek(dek: Uint8Array): WrappedDek;
  unwrapDek(w: WrappedDek): Uint8Array;
  newDek(): Uint8Array;
  /** HMAC-SHA-256 token for an index lookup (phone numbers, agents) */
  token(kind: string, value: string): string;
  logSigningSeed(): Uint8Array;
}

export interface WrappedDek {
  epoch: number;
  nonce: Uint8Array;
  box: Uint8Array;
}

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
  mkdirSync(src.dir, { recursive: true, mode: 0o700 });
  chmodSync(src.dir, 0o700);
  writeSecret(keyPath(src, 'kek'), `1 ${randomBytes(32).toString('base64')}\n`);
  writeSecret(keyPath(src, 'log-signing'), `${randomBytes(32).toString('base64')}\n`);
  writeSecret(keyPath(src, 'index-secret'), `${randomBytes(32).toString('base64')}\n`);
}

/** temp file, fsync, rename, fsync dir: a crash never leaves a half-written key. */
function writeSecret(path: string, text: string): void {
  if (existsSync(path)) return;
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
  const dfd = openSync(join(path, '..'), 'r');
  fsyncSync(dfd);
  closeSync(dfd);
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

function fingerprint(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

function loadKeys(src: KeySource): Keyring {
  const keks = new Map<number, Uint8Array>();
  for (const line of readKey(src, 'kek').split('\n')) {
    if (!line.trim()) continue;
    const m = /^(\d+)\s+(\S+)$/.exec(line.trim());
    if (!m) throw new TresorError('E_KEYS_INVALID', `kek: each line must be "<epoch> <base64 key>"`);
    keks.set(Number(m[1]), decode32(m[2]!, `kek epoch ${m[1]}`));
  }
  if (!keks.size) throw new TresorError('E_KEYS_INVALID', 'kek: no key in file');
  const currentEpoch = Math.max(...keks.keys());
  const firstEpoch = Math.min(...keks.keys());
  const seed = decode32(readKey(src, 'log-signing'), 'log-signing');
  const indexSecret = decode32(readKey(src, 'index-secret'), 'index-secret');

  return {
    source: src,
    currentEpoch,
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
    logSigningSeed: () => seed,
  };
}
