import { open, rename, unlink, mkdir, copyFile, type FileHandle } from 'node:fs/promises';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
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
