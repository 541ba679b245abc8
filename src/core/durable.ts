import { open, rename, unlink, mkdir, copyFile } from 'node:fs/promises';
import { dirname } from 'node:path';

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

/** temp file, fsync, rename, fsync dir (Sunlight's durable path sequence). */
export async function writeFileDurable(path: string, data: Uint8Array | string, mode = 0o600): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
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
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await copyFile(from, to);
    const fh = await open(to, 'r');
    await fh.sync();
    await fh.close();
    await unlink(from);
    await fsyncDir(dirname(from));
  }
  await fsyncDir(dirname(to));
}
