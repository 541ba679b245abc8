import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileDurableSync } from '../core/durable.ts';
import { TresorError } from '../core/errors.ts';

/**
 * The key files of a site on disk (DESIGN §4), shared by the keyring (reads them) and KEK
 * rotation (rewrites `kek`). Nothing here leaves src/crypto/:
 *
 * - kek           key-encryption keys with epochs, one per line `<epoch> <base64 32 bytes>`;
 *                 the highest epoch wraps new DEKs, older ones still unwrap (rotation).
 * - log-signing   base64 Ed25519 seed (32 bytes) for the access log's checkpoints.
 * - index-secret  base64 32 bytes: HMAC key that turns phone numbers into index tokens.
 *
 * Source: `$CREDENTIALS_DIRECTORY/tresor-<name>` (systemd LoadCredential) when that
 * directory has them, else `<data>/keys/<name>` (mode 0600, created at first start).
 */
export interface KeySource {
  kind: 'systemd-credentials' | 'data-dir';
  dir: string;
}

export const KEY_NAMES = ['kek', 'log-signing', 'index-secret'] as const;
export type KeyName = (typeof KEY_NAMES)[number];

export function keySource(dataDir: string, env: Record<string, string | undefined> = process.env): KeySource {
  const cred = env.CREDENTIALS_DIRECTORY;
  // Any one of our credentials there means the admin meant that source: a misnamed or
  // forgotten LoadCredential then fails as "missing", never falls back to fresh keys.
  if (cred && KEY_NAMES.some((n) => existsSync(join(cred, `tresor-${n}`)))) return { kind: 'systemd-credentials', dir: cred };
  return { kind: 'data-dir', dir: join(dataDir, 'keys') };
}

export function keyPath(src: KeySource, name: KeyName): string {
  return join(src.dir, src.kind === 'systemd-credentials' ? `tresor-${name}` : name);
}

/** exclusive temp file, fsync, rename, fsync dir (core/durable.ts): a crash never leaves a half-written key. */
export function writeSecret(path: string, text: string, replace = false): void {
  if (!replace && existsSync(path)) return;
  writeFileDurableSync(path, text, 0o600);
}

export function readKey(src: KeySource, name: KeyName): string {
  const p = keyPath(src, name);
  if (src.kind === 'data-dir') {
    const mode = statSync(p).mode & 0o777;
    if (mode & 0o077) {
      throw new TresorError('E_KEYS_INVALID', `${p} is readable by others (mode ${mode.toString(8)}); run chmod 600 ${p}`);
    }
  }
  return readFileSync(p, 'utf8');
}

export function decode32(text: string, what: string): Uint8Array {
  const b = Buffer.from(text.trim(), 'base64');
  if (b.length !== 32) throw new TresorError('E_KEYS_INVALID', `${what}: expected 32 bytes of base64, got ${b.length}`);
  return new Uint8Array(b);
}

/** Short, public: stored in the index at first start to detect a swapped key. */
export function fingerprint(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

export function parseKeks(text: string): Map<number, Uint8Array> {
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

export function formatKeks(keks: Map<number, Uint8Array>): string {
  return [...keks].sort((a, b) => a[0] - b[0]).map(([e, k]) => `${e} ${Buffer.from(k).toString('base64')}\n`).join('');
}
