import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A tiny POSIX ustar writer (uncompressed), enough for an auditor export: regular files
 * in one top-level folder, names in ASCII. Streams file contents, so a large
 * entries.jsonl never sits in memory. GNU tar, bsdtar and 7-Zip read it.
 */
const BLOCK = 512;
const MAX_SIZE = 8 ** 11 - 1; // 11 octal digits

function octal(n: number, width: number): string {
  // width includes the terminating NUL
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

export function tarHeader(name: string, o: { size: number; mode: number; mtime: number; type: 'file' | 'dir' }): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    // split at a slash: prefix (≤155) + name (≤100)
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: name too long: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  if (!/^[\x20-\x7e]+$/.test(name)) throw new Error(`tar: name must be printable ASCII: ${JSON.stringify(name)}`);
  if (o.size > MAX_SIZE) throw new Error(`tar: ${name} is too large for ustar (${o.size} bytes)`);
  h.write(base, 0, 100, 'ascii');
  h.write(octal(o.mode & 0o7777, 8), 100, 8, 'ascii');
  h.write(octal(0, 8), 108, 8, 'ascii'); // uid
  h.write(octal(0, 8), 116, 8, 'ascii'); // gid
  h.write(octal(o.type === 'dir' ? 0 : o.size, 12), 124, 12, 'ascii');
  h.write(octal(Math.max(0, Math.floor(o.mtime / 1000)), 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii'); // checksum placeholder: 8 spaces
  h.write(o.type === 'dir' ? '5' : '0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('tresor', 265, 32, 'ascii'); // uname
  h.write('tresor', 297, 32, 'ascii'); // gname
  h.write(prefix, 345, 155, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

/**
 * Streams `files` (names relative to `dir`) as `<top>/<name>` entries. `onDone` runs once
 * the stream ends or is cancelled (e.g. to remove a temporary folder).
 */
export function tarStream(dir: string, files: string[], top: string, onDone: () => Promise<void> | void = () => {}): ReadableStream<Uint8Array> {
  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    await onDone();
  };
  async function* blocks(): AsyncGenerator<Uint8Array> {
    const now = Date.now();
    yield tarHeader(`${top}/`, { size: 0, mode: 0o755, mtime: now, type: 'dir' });
    for (const name of files) {
      const path = join(dir, name);
      const st = await stat(path);
      if (!st.isFile()) continue;
      yield tarHeader(`${top}/${name}`, { size: st.size, mode: 0o644, mtime: st.mtimeMs, type: 'file' });
      let n = 0;
      for await (const chunk of createReadStream(path)) {
        n += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (n !== st.size) throw new Error(`tar: ${name} changed while being archived`);
      const pad = (BLOCK - (st.size % BLOCK)) % BLOCK;
      if (pad) yield Buffer.alloc(pad, 0);
    }
    yield Buffer.alloc(BLOCK * 2, 0); // end of archive
  }
  const it = blocks();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await it.next();
        if (done) {
          controller.close();
          await finish();
        } else controller.enqueue(value);
      } catch (e) {
        controller.error(e);
        await finish();
      }
    },
    async cancel() {
      await it.return(undefined);
      await finish();
    },
  });
}
