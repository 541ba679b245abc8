import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync } from 'node:fs';
import nacl from 'tweetnacl';
import { mkdirDurableSync } from '../core/durable.ts';
import { TresorError } from '../core/errors.ts';
import type { WrappedDek } from '../store/index.ts';
import { open, openRange, openRangeChunks, openStream, seal, sealStream } from './envelope.ts';
import { decode32, fingerprint, KEY_NAMES, keyPath, keySource, parseKeks, readKey, writeSecret, type KeySource } from './key-files.ts';
import { createNoteSigner, ed25519FromSeed, type NoteSigner } from './signing.ts';

/**
 * The keys of a site (key-files.ts says where they live), and the only code that holds
 * them (DESIGN §2: crypto hands out operations, never key bytes). A caller gets an opener
 * for one recording, a sealer for a new one, a lookup token, a note signer; no DEK, KEK,
 * seed or HMAC secret ever crosses this module's edge, so a leak has one place to look.
 *
 * A missing key for an archive that already exists is fatal: new keys would silently
 * fork the site (unreadable recordings, a log signed by a stranger).
 */
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
  /**
   * Opens the envelopes sealed under the data key stored for `id` in the key table (a
   * recording id, or `q:<quarantine id>`). E_NOT_FOUND when there is none (purged,
   * discarded), E_CRYPTO when it does not unwrap. Callers log the access durably before
   * they call this (DESIGN §1).
   */
  openRecording(id: string): EnvelopeOpener;
  /**
   * The sealer for `id`: under the data key already stored for it (re-sealing, e.g. a
   * corrected sidecar of a quarantined file, so one crypto-shred still erases it all), or
   * under a fresh one. The caller stores `wrapped` under `id` in the commit that makes the
   * sealed bytes count; until then nothing opens them.
   */
  sealFor(id: string): EnvelopeSealer;
  /** HMAC-SHA-256 token for an index lookup (phone numbers, agents, source paths) */
  tokenize(kind: string, value: string): string;
  /**
   * Seals a small secret kept in the index (a user's TOTP secret) so a copy of data.mdb
   * does not hand it out; `context` (e.g. `totp:<user>`) binds it to its place: a sealed
   * value copied into another row does not open there.
   */
  sealSecret(context: string, plain: string): string;
  /** Opens what sealSecret made for the same context; throws E_CRYPTO otherwise. */
  openSecret(context: string, sealed: string): string;
  /**
   * The log's C2SP signed-note signer under key name `name` (the checkpoint origin, which
   * the site fixes only after the keys are open): `sign(text)` signs a note, the seed stays here.
   */
  noteSigner(name: string): NoteSigner;
}

/** The one operation the web layer and lookups get: keyed tokens, no key. */
export type Tokenizer = Pick<Keyring, 'tokenize'>;

/** How sealSecret's output starts (version 1: secretbox under a key derived per context). */
export const SEALED_PREFIX = 's1.';

// WrappedDek is the row of the store's `keys` table (src/store/keys.ts)

/** Where the wrapped DEKs live: the store's `keys` table (recording id or `q:<id>` → WrappedDek). */
export interface WrappedKeys {
  get(id: string): WrappedDek | undefined;
}

/** Decrypts the envelopes of one recording (envelope.ts); every chunk is authenticated first. */
export interface EnvelopeOpener {
  open(sealed: Uint8Array): Buffer;
  /** bytes [start, end) of the plaintext, opening only the chunks that hold them */
  openRange(sealed: Uint8Array, start: number, end: number): Buffer;
  openRangeChunks(sealed: Uint8Array, start: number, end: number): Generator<Buffer>;
  openStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Buffer>;
}

export interface EnvelopeSealer {
  /** the data key wrapped under the current KEK epoch: what the key table stores for the id */
  readonly wrapped: WrappedDek;
  seal(plain: Uint8Array): Buffer;
  sealStream(plainLength: number, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Buffer>;
}

function opener(dek: Uint8Array): EnvelopeOpener {
  return {
    open: (sealed) => open(dek, sealed),
    openRange: (sealed, start, end) => openRange(dek, sealed, start, end),
    openRangeChunks: (sealed, start, end) => openRangeChunks(dek, sealed, start, end),
    openStream: (source) => openStream(dek, source),
  };
}

/**
 * Opens the keyring. `archiveExists` says whether an index was already initialised:
 * only a new archive may get new keys. `wrapped` is the store's key table, where
 * openRecording and sealFor find the wrapped DEK of an id.
 */
export function openKeyring(dataDir: string, archiveExists: boolean, env = process.env, wrapped: WrappedKeys = noKeys): Keyring {
  const src = keySource(dataDir, env);
  const missing = KEY_NAMES.filter((n) => !existsSync(keyPath(src, n)));
  if (missing.length) {
    if (archiveExists || src.kind === 'systemd-credentials') {
      throw new TresorError('E_KEYS_MISSING',
        `key(s) ${missing.join(', ')} missing in ${src.dir}, but the archive in ${dataDir} already exists. ` +
        'Refusing to start: new keys would make every stored recording unreadable. ' +
        'Restore the keys from your backup (or point CREDENTIALS_DIRECTORY at them).');
    }
    createKeys(src);
  }
  return loadKeys(src, wrapped);
}

const noKeys: WrappedKeys = { get: () => undefined };

function createKeys(src: KeySource): void {
  // the keys folder is fsynced into its parent: keys lost at a power cut while the
  // index survived would make the whole archive unreadable
  mkdirDurableSync(src.dir);
  chmodSync(src.dir, 0o700);
  writeSecret(keyPath(src, 'kek'), `1 ${randomBytes(32).toString('base64')}\n`);
  writeSecret(keyPath(src, 'log-signing'), `${randomBytes(32).toString('base64')}\n`);
  writeSecret(keyPath(src, 'index-secret'), `${randomBytes(32).toString('base64')}\n`);
}

/**
 * The key that seals small secrets of one context. Derived from the index secret, not the
 * KEK: KEK rotation deletes old epochs (that is its point, for crypto-shredding), and a
 * TOTP secret must outlive it; the index secret never rotates (every phone token hangs on
 * it). An HMAC with a label of its own keeps this key apart from the lookup tokens.
 */
function sealKey(indexSecret: Uint8Array, context: string): Uint8Array {
  // the label has no NUL, so no tokenize(kind, value) input (always `kind\0value`) equals it
  const master = createHmac('sha256', indexSecret).update('tresor seal v1').digest();
  return new Uint8Array(createHmac('sha256', master).update(context).digest());
}

function loadKeys(src: KeySource, table: WrappedKeys): Keyring {
  const keks = parseKeks(readKey(src, 'kek'));
  const currentEpoch = Math.max(...keks.keys());
  const firstEpoch = Math.min(...keks.keys());
  const seed = decode32(readKey(src, 'log-signing'), 'log-signing');
  const indexSecret = decode32(readKey(src, 'index-secret'), 'index-secret');

  const wrap = (dek: Uint8Array): WrappedDek => {
    const nonce = new Uint8Array(randomBytes(24));
    return { epoch: currentEpoch, nonce, box: nacl.secretbox(dek, nonce, keks.get(currentEpoch)!) };
  };
  const unwrap = (w: WrappedDek): Uint8Array => {
    const kek = keks.get(w.epoch);
    if (!kek) throw new TresorError('E_CRYPTO', `no key-encryption key for epoch ${w.epoch} (rotated away?)`);
    const dek = nacl.secretbox.open(new Uint8Array(w.box), new Uint8Array(w.nonce), kek);
    if (!dek) throw new TresorError('E_CRYPTO', 'data key does not unwrap: wrong key-encryption key or tampered index');
    return dek;
  };
  const stored = (id: string): WrappedDek => {
    const w = table.get(id);
    if (!w) throw new TresorError('E_NOT_FOUND', `${id.startsWith('q:') ? `quarantined file ${id.slice(2)}` : `recording ${id}`} has no data key (purged or discarded)`);
    return w;
  };

  return {
    source: src,
    currentEpoch,
    epochs: [...keks.keys()].sort((a, b) => a - b),
    epochFingerprints: Object.fromEntries([...keks].map(([e, k]) => [String(e), fingerprint(k)])),
    fingerprints: {
      kek: fingerprint(keks.get(firstEpoch)!),
      logSigning: fingerprint(ed25519FromSeed(seed).publicKey),
      indexSecret: fingerprint(indexSecret),
    },
    openRecording: (id) => opener(unwrap(stored(id))),
    sealFor(id) {
      const existing = table.get(id);
      const dek = existing ? unwrap(existing) : new Uint8Array(randomBytes(32));
      return {
        wrapped: existing ?? wrap(dek),
        seal: (plain) => seal(dek, plain),
        sealStream: (plainLength, source) => sealStream(dek, plainLength, source),
      };
    },
    tokenize: (kind, value) => createHmac('sha256', indexSecret).update(`${kind}\0${value}`).digest('hex'),
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
    noteSigner: (name) => createNoteSigner(name, seed),
  };
}
