import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TresorError } from '../core/errors.ts';

/**
 * Checks `index/data.mdb` against its own meta pages before LMDB maps it.
 *
 * Why: LMDB maps the file and trusts it. A file cut short (a full disk during a copy, a
 * restore that stopped half-way, a failing disk) makes the first read of a page past its
 * end a SIGBUS: every command died with exit 135 and no word of explanation (issue 9,
 * item 6). The meta pages say how long the file must be, so we can refuse first and say why.
 *
 * Layout (LMDB as bundled by lmdb-js 3.x, data version 2; `MDB_meta` in mdb.c): pages 0
 * and 1 are meta pages, LMDB uses the one with the higher transaction id. In each, after
 * the page header, `MDB_meta` starts with the magic 0xBEEFC0DE (u32, host order) and then:
 * +4 version (u32), +8 address (8), +16 map size (8), +24 the free-space DB record whose
 * first u32 is the page size, +24+96 `mm_last_pg` (u64, last used page), +128 `mm_txnid`
 * (u64). The file must hold pages 0…mm_last_pg. A version we do not know is not checked
 * (an lmdb upgrade must not lock anyone out); the test of this check pins the layout.
 */
export type IndexFileState =
  | { kind: 'missing'; path: string }
  | { kind: 'empty'; path: string }
  | { kind: 'ok'; path: string; fileBytes: number; pageSize: number; lastPage: number; txnId: number }
  | { kind: 'unchecked'; path: string; fileBytes: number; version: number };

const MAGIC = 0xbeefc0de;
const DATA_VERSION = 2;

interface Meta {
  version: number;
  pageSize: number;
  lastPage: number;
  txnId: number;
}

function readMeta(buf: Buffer): Meta | null {
  // the page header is 16 (LMDB 0.9) or 24 bytes (with mp_txnid); find the magic
  for (const at of [16, 24, 32]) {
    if (buf.length < at + 136) return null;
    if (buf.readUInt32LE(at) !== MAGIC) continue;
    return {
      version: buf.readUInt32LE(at + 4) & 0xffff,
      pageSize: buf.readUInt32LE(at + 24),
      lastPage: Number(buf.readBigUInt64LE(at + 120)),
      txnId: Number(buf.readBigUInt64LE(at + 128)),
    };
  }
  return null;
}

function damaged(path: string, why: string, detail: Record<string, unknown>): TresorError {
  return new TresorError('E_INDEX_DAMAGED',
    `the index file ${path} is damaged: ${why}. Nothing was changed. Restore the index folder from a backup (with the service ` +
    'stopped); without one, `tresor index rebuild` sets up a new index and says exactly what it cannot bring back.', { detail: { path, ...detail } });
}

/** Reads the meta pages of `<dataDir>/index/data.mdb`; throws E_INDEX_DAMAGED when the file cannot be right. */
export function inspectIndexFile(dataDir: string): IndexFileState {
  const path = join(dataDir, 'index', 'data.mdb');
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing', path };
    throw e;
  }
  if (size === 0) return { kind: 'empty', path };
  const fd = openSync(path, 'r');
  let metas: Meta[];
  try {
    const first = Buffer.alloc(Math.min(size, 65536));
    readSync(fd, first, 0, first.length, 0);
    const m0 = readMeta(first);
    if (!m0) throw damaged(path, `it does not start with an LMDB meta page (${size} bytes)`, { fileBytes: size });
    if (m0.version !== DATA_VERSION) return { kind: 'unchecked', path, fileBytes: size, version: m0.version };
    const ps = m0.pageSize;
    if (!(ps >= 512 && ps <= 65536 && (ps & (ps - 1)) === 0)) throw damaged(path, `its meta page names a page size of ${ps}`, { fileBytes: size });
    if (size < 2 * ps) throw damaged(path, `it is ${size} bytes, shorter than its two meta pages (${2 * ps} bytes)`, { fileBytes: size, pageSize: ps });
    const second = Buffer.alloc(ps);
    readSync(fd, second, 0, ps, ps);
    metas = [m0, readMeta(second)].filter((m): m is Meta => m !== null && m.version === DATA_VERSION && m.pageSize === ps);
  } finally {
    closeSync(fd);
  }
  const m = metas.reduce((a, b) => (b.txnId > a.txnId ? b : a));
  const need = (m.lastPage + 1) * m.pageSize;
  if (size < need) {
    throw damaged(path, `it is ${size} bytes, but its last transaction (#${m.txnId}) uses ${m.lastPage + 1} pages of ${m.pageSize} bytes ` +
      `(${need} bytes); the file was cut short (a full disk during a copy, an interrupted restore, a failing disk)`,
    { fileBytes: size, needBytes: need, pageSize: m.pageSize, txnId: m.txnId });
  }
  return { kind: 'ok', path, fileBytes: size, pageSize: m.pageSize, lastPage: m.lastPage, txnId: m.txnId };
}
