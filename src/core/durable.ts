import { openSync, fsyncSync, closeSync } from 'node:fs';
import { open, rename, unlink, mkdir, copyFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** fsync a directory so a create, rename or unlink inside it survives power loss. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
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
  fsyncDir(dirname(path));
}

export async function unlinkDurable(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  fsyncDir(dirname(path));
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
    fsyncDir(dirname(from));
  }
  fsyncDir(dirname(to));
}
