// One source file of the inbox, opened once and read in pieces: never whole in memory
// (issue 16: a 300 MB file took 756 MB of RSS when ingest read it at once).
//
// The file is opened without following links and without blocking (a FIFO swapped in
// after lstat returns at once instead of hanging). Every pass reads exactly the size seen
// at open and can check that it got the bytes the first pass hashed: a PBX still writing
// in place, or an admin replacing the file, makes the pass fail (retryable) instead of
// storing other bytes than the ones whose SHA-256 was logged.
import { createHash } from 'node:crypto';
import { constants as FS } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { TresorError } from '../core/errors.ts';
import type { Tokenizer } from '../crypto/index.ts';
import { MAX_SIDECAR_BYTES } from './sidecar.ts';

const STEP = 1024 * 1024;
const MIB = 1024 * 1024;

export interface OpenSource {
  readonly size: number;
  readonly mtimeMs: number;
  /** the file's bytes [0, size) in pieces of up to 1 MiB, each a fresh buffer */
  chunks(): AsyncGenerator<Buffer>;
  /** the same, failing before the end if they do not hash to `sha256` */
  verified(sha256: string): AsyncGenerator<Buffer>;
  /** the first `n` bytes (fewer when the file is shorter) */
  head(n: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Opens a regular file of at most `maxBytes`; E_NOT_REGULAR_FILE or E_TOO_LARGE otherwise. */
export async function openSource(path: string, maxBytes: number): Promise<OpenSource> {
  const st = await lstat(path);
  if (!st.isFile()) {
    throw new TresorError('E_NOT_REGULAR_FILE', 'not a regular file (symlink, FIFO or device): never followed or opened');
  }
  if (st.size > maxBytes) {
    throw new TresorError('E_TOO_LARGE', `file is ${(st.size / MIB).toFixed(1)} MiB, over the ${Math.round(maxBytes / MIB)} MiB cap (ingest.maxFileMiB); left in the inbox`);
  }
  // O_NOFOLLOW|O_NONBLOCK: if the name was swapped for a link or FIFO since lstat,
  // opening fails or returns at once instead of following or blocking.
  const fh = await open(path, FS.O_RDONLY | FS.O_NOFOLLOW | FS.O_NONBLOCK);
  try {
    const st2 = await fh.stat();
    if (!st2.isFile() || st2.ino !== st.ino) throw new TresorError('E_NOT_REGULAR_FILE', 'file was replaced while being opened');
    if (st2.size > maxBytes) throw new TresorError('E_TOO_LARGE', `file grew to ${(st2.size / MIB).toFixed(1)} MiB, over the cap`);
    return sourceOf(fh, st2.size, st2.mtimeMs);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

function sourceOf(fh: FileHandle, size: number, mtimeMs: number): OpenSource {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let pos = 0; pos < size;) {
      const buf = Buffer.allocUnsafe(Math.min(STEP, size - pos));
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) throw changed(`it ended after ${pos} of ${size} bytes`);
      pos += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  }
  return {
    size,
    mtimeMs,
    chunks,
    async *verified(sha256: string) {
      const h = createHash('sha256');
      for await (const c of chunks()) {
        h.update(c);
        yield c;
      }
      if (h.digest('hex') !== sha256) throw changed('its bytes differ from the ones first read');
    },
    async head(n: number) {
      const buf = Buffer.alloc(Math.min(n, size));
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    },
    close: () => fh.close(),
  };
}

/** SHA-256 of the whole file, read in 1 MiB steps (the event loop runs between them). */
export async function hashSource(src: OpenSource): Promise<string> {
  const h = createHash('sha256');
  for await (const c of src.chunks()) h.update(c);
  return h.digest('hex');
}

function changed(how: string): TresorError {
  return new TresorError('E_IO', `the file changed while it was being read (${how}); is the PBX still writing it? Left in the inbox`, { retryable: true });
}

/**
 * The reference the journal and the dashboard give for an inbox file instead of its name
 * (names carry phone numbers): the first 12 hex digits of the file's keyed path token.
 * `tresor inbox locate REF` walks the inbox and names the file to the operator at the box.
 */
export function sourceRef(keys: Tokenizer, path: string): string {
  return keys.tokenize('source', path).slice(0, 12);
}

/** A sidecar, read whole (it is small), or E_SIDECAR_INVALID when it is not. */
export async function readSidecar(path: string): Promise<Buffer> {
  const s = await openSource(path, 64 * MIB);
  try {
    if (s.size > MAX_SIDECAR_BYTES) throw new TresorError('E_SIDECAR_INVALID', `sidecar is ${s.size} bytes; the limit is ${MAX_SIDECAR_BYTES}`);
    const parts: Buffer[] = [];
    for await (const c of s.chunks()) parts.push(c);
    return Buffer.concat(parts);
  } finally {
    await s.close();
  }
}
