import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { configure, ZipWriter } from '@zip.js/zip.js';

/**
 * ZIP archives of a folder's files, streamed file by file to the target (an access package
 * of 100 three-minute calls must not sit in memory). Entries are stored, not deflated: the
 * audio is Opus already, deflate would spend CPU to win nothing. With a password the entries
 * are WinZip AES-256 (AE-2), which 7-Zip, Windows 11 Explorer (22H2+) and macOS Archive
 * Utility (via `unzip`-compatible tools such as The Unarchiver) open; ZipCrypto is never used
 * (broken since 1994, Biham–Kocher).
 */

// No web workers in a service: they would be spawned per entry from a data: URL.
configure({ useWebWorkers: false });

export interface ZipEntry {
  /** name inside the archive, '/'-separated */
  name: string;
  /** file on disk to copy in */
  path: string;
}

export interface ZipOptions {
  /** AES-256 when given */
  password?: string;
  /** fixed entry time (reproducible archives in tests); default now */
  lastModDate?: Date;
}

/**
 * A password for a package ZIP: 20 characters from an alphabet without look-alikes
 * (no 0/O, 1/l/I), ≈ 114 bits. It is shown once to the person releasing the package and
 * never stored: the box cannot lose what it does not keep.
 */
export function generateZipPassword(length = 20): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  // rejection sampling: 256 is not a multiple of the alphabet size, a plain modulo would bias
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < limit && out.length < length) out += alphabet[b % alphabet.length];
    }
  }
  return out;
}

/** Writes `entries` as a ZIP to `target`; a failed write leaves no half archive behind. */
export async function writeZip(target: string, entries: readonly ZipEntry[], opts: ZipOptions = {}): Promise<{ bytes: number; entries: number }> {
  let bytes = 0;
  const file = createWriteStream(target, { mode: 0o600 });
  const counting = new Writable({
    write(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (file.write(chunk)) cb();
      else file.once('drain', () => cb());
    },
    final(cb) {
      file.end((e?: Error | null) => cb(e ?? null));
    },
  });
  const zip = new ZipWriter(Writable.toWeb(counting) as WritableStream<Uint8Array>, {
    level: 0,
    ...(opts.password ? { password: opts.password, encryptionStrength: 3 as const, zipCrypto: false } : {}),
    lastModDate: opts.lastModDate,
  });
  try {
    for (const e of entries) {
      const body = Readable.toWeb(createReadStream(e.path)) as ReadableStream<Uint8Array>;
      await zip.add(e.name, body);
    }
    await zip.close();
  } catch (e) {
    file.destroy();
    await rm(target, { force: true });
    throw e;
  }
  return { bytes, entries: entries.length };
}
