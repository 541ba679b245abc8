import { open, rename, unlink, mkdir, copyFile, lstat, readdir, rmdir, type FileHandle } from 'node:fs/promises';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';

// Durable file-system steps outside LMDB (Sunlight's durable path sequence): temp file,
// fsync, rename, fsync the directory; folders are fsynced into their parent. Every
// function here either completes or leaves what was there before (plus, after a crash,
// at most a `*.tmp-<pid>-<random>` file that nothing reads).

/**
 * fsync a directory so a create, rename or unlink inside it survives power loss.
 * Asynchronous on purpose: a synchronous fsync stalls the event loop for the disk's
 * flush time, and the loop is what feeds ffmpeg's stdin; a 64 KiB pipe holds only
 * ~40 ms of input at transcode speed, so every stall idles a CPU.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A temp name beside `path` that no other writer picks: the pid alone is not enough
 * (two writes of one report in one process shared `path.tmp-<pid>`, and one rename
 * failed), so a random part follows. Created with O_EXCL ('wx').
 */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Creates `dir` and any missing parents (mode 0700 by default) and fsyncs the folder
 * holding each one it created, from the top down: a folder whose entry in its parent is
 * not on disk can vanish with everything in it at a power cut (ext4 in data=ordered mode
 * happens to order this; XFS, btrfs and network file systems do not).
 */
export async function mkdirDurable(dir: string, mode = 0o700): Promise<void> {
  const first = await mkdir(dir, { recursive: true, mode });
  if (first === undefined) return; // it existed
  for (let d = resolve(first); ; d = nextBelow(d, dir)) {
    await fsyncDir(dirname(d));
    if (d === resolve(dir)) break;
  }
}

export function mkdirDurableSync(dir: string, mode = 0o700): void {
  const first = mkdirSync(dir, { recursive: true, mode });
  if (first === undefined) return;
  for (let d = resolve(first); ; d = nextBelow(d, dir)) {
    fsyncDirSync(dirname(d));
    if (d === resolve(dir)) break;
  }
}

/** The path one level below `from` on the way to `to` (`from` is an ancestor of `to`). */
function nextBelow(from: string, to: string): string {
  const rest = resolve(to).slice(from.length + 1).split('/');
  return `${from}/${rest[0]}`;
}

/**
 * Writes `data` (or every chunk of an async iterable) to an exclusive temp file, fsyncs
 * it, renames it over `path`, fsyncs the directory. On any failure (ENOSPC half-way, a
 * source that throws) the temp file is removed and `path` keeps its old content.
 */
export async function writeFileDurable(
  path: string,
  data: Uint8Array | string | AsyncIterable<Uint8Array>,
  mode = 0o600,
): Promise<void> {
  const tmp = tempPathFor(path);
  let fh: FileHandle | null = await open(tmp, 'wx', mode);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await fh.writeFile(data);
    else for await (const chunk of data) await writeAll(fh, chunk);
    await fh.sync();
    await fh.close();
    fh = null;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dirname(path));
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}

/** The same, synchronously (the keyring is opened synchronously at start). */
export function writeFileDurableSync(path: string, data: Uint8Array | string, mode = 0o600): void {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'wx', mode);
  let closed = false;
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(tmp, path);
  } catch (e) {
    if (!closed) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch { /* already gone */ }
    throw e;
  }
  fsyncDirSync(dirname(path));
}

export async function unlinkDurable(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await fsyncDir(dirname(path));
}

/** rename, or copy + fsync + unlink across file systems (the inbox is often a mount). */
export async function moveDurable(from: string, to: string): Promise<void> {
  await mkdirDurable(dirname(to));
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    const tmp = tempPathFor(to);
    try {
      await copyFile(from, tmp);
      const fh = await open(tmp, 'r');
      await fh.sync();
      await fh.close();
      await rename(tmp, to);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fsyncDir(dirname(to));
    await unlink(from);
    await fsyncDir(dirname(from));
  }
  await fsyncDir(dirname(to));
}

/**
 * A new folder of many new files (an export: access package, evidence bundle) made durable
 * in ONE step at the end instead of temp file + fsync + rename + directory fsync per file.
 * Each file is created 0600 with O_EXCL (nothing is replaced, so no temp name is needed) and
 * hashed as it is written; its fsync starts at once in the background, so the disk flushes
 * while the next call is decrypted, and `done()` waits for every flush and then fsyncs each
 * folder once (their entries). The caller logs the export as made only after `done()`: a
 * crash before it leaves a folder that no log entry names, and the export is built again.
 */
export interface ExportFolder {
  readonly root: string;
  mkdir(rel: string): Promise<void>;
  /** writes `rel` (relative, '/'-separated) and returns its SHA-256 (hex) and size */
  write(rel: string, data: Uint8Array | string): Promise<{ sha256: string; bytes: number }>;
  /** the same for a stream (a WAV of an hour is 100 MB+), hashed chunk by chunk */
  writeStream(rel: string, body: AsyncIterable<Uint8Array>): Promise<{ sha256: string; bytes: number }>;
  done(): Promise<void>;
}

/** at most this many files are open with a flush in flight */
const MAX_PENDING_SYNCS = 16;

export async function createExportFolder(root: string): Promise<ExportFolder> {
  await mkdirDurable(root);
  const dirs = new Set<string>([resolve(root)]);
  const pending = new Set<Promise<void>>();
  let failed: unknown = null;
  const flush = async (fh: FileHandle) => {
    if (pending.size >= MAX_PENDING_SYNCS) await Promise.race(pending);
    const p: Promise<void> = fh.sync().finally(() => fh.close()).catch((e) => { failed ??= e; }).finally(() => pending.delete(p));
    pending.add(p);
  };
  const at = (rel: string) => resolve(root, rel);
  return {
    root,
    async mkdir(rel) {
      await mkdir(at(rel), { recursive: true, mode: 0o700 });
      dirs.add(at(rel));
    },
    async write(rel, data) {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      const fh = await open(at(rel), 'wx', 0o600);
      try {
        await writeAll(fh, buf);
      } catch (e) {
        await fh.close().catch(() => undefined);
        throw e;
      }
      await flush(fh);
      return { sha256: createHash('sha256').update(buf).digest('hex'), bytes: buf.length };
    },
    async writeStream(rel, body) {
      const h = createHash('sha256');
      let bytes = 0;
      const fh = await open(at(rel), 'wx', 0o600);
      try {
        for await (const chunk of body) {
          h.update(chunk);
          bytes += chunk.length;
          await writeAll(fh, chunk);
        }
      } catch (e) {
        await fh.close().catch(() => undefined);
        throw e;
      }
      await flush(fh);
      return { sha256: h.digest('hex'), bytes };
    },
    async done() {
      while (pending.size) await Promise.all(pending);
      if (failed) throw failed;
      // deepest first does not matter for correctness; each folder's entries once
      await Promise.all([...dirs].map((d) => fsyncDir(d)));
    },
  };
}

/**
 * Removes a folder (or file) of decrypted copies: every file is overwritten with zeros,
 * flushed, then unlinked, and the folders are fsynced so the removal survives a power cut.
 * Overwriting is best effort on SSDs and copy-on-write file systems (the old blocks may
 * live on); the data directory should sit on an encrypted volume for that reason. Returns
 * how many files were removed.
 */
export async function removePlaintextCopies(path: string): Promise<number> {
  const n = await overwriteAndRemove(path);
  if (n >= 0) await fsyncDir(dirname(path));
  return Math.max(n, 0);
}

/** -1: nothing was there */
async function overwriteAndRemove(path: string): Promise<number> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw e;
  }
  if (st.isDirectory()) {
    let n = 0;
    for (const name of await readdir(path)) n += Math.max(await overwriteAndRemove(`${path}/${name}`), 0);
    await rmdir(path); // its entries go with it: the parent's fsync covers them
    return n;
  }
  if (st.isFile() && st.size > 0) {
    const fh = await open(path, 'r+');
    try {
      const zeros = Buffer.alloc(Math.min(st.size, 1 << 20));
      for (let off = 0; off < st.size; off += zeros.length) await fh.write(zeros, 0, Math.min(zeros.length, st.size - off), off);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }
  await unlink(path);
  return 1;
}
