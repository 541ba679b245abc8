import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import {
  RECORD_HEADER_BYTES, RECORD_MAGIC, RECORD_TRAILER_BYTES, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, decodeRecord,
} from './record.ts';

/**
 * Reads a segment file on its own, without the index (FORMAT.md, *Segment file*): the
 * header's magic, then record after record, each checked (magic, version, length,
 * trailer). Where a record does not check, the scan looks for the next one that does, so
 * one damaged record does not hide the rest. Reads only.
 */
export interface ScannedRecord {
  id: string;
  offset: number;
  length: number;
  payloadSha256: string;
}

export interface SegmentScan {
  fileBytes: number;
  /** the first 8 bytes are `TRSEG001` */
  headerOk: boolean;
  records: ScannedRecord[];
  /** byte ranges no valid record accounts for */
  damaged: { offset: number; bytes: number }[];
}

const MAX_RECORD = 4 * 1024 * 1024 * 1024;

export function scanSegmentFile(path: string): SegmentScan {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(SEGMENT_HEADER_BYTES, size));
    readSync(fd, head, 0, head.length, 0);
    const out: SegmentScan = { fileBytes: size, headerOk: head.length === SEGMENT_HEADER_BYTES && head.subarray(0, 8).equals(SEGMENT_MAGIC), records: [], damaged: [] };
    const at = (pos: number): ScannedRecord | null => {
      if (pos + RECORD_HEADER_BYTES + RECORD_TRAILER_BYTES > size) return null;
      const h = Buffer.alloc(RECORD_HEADER_BYTES);
      readSync(fd, h, 0, h.length, pos);
      if (!h.subarray(0, 4).equals(RECORD_MAGIC) || h[4] !== 1) return null;
      const len = Number(h.readBigUInt64BE(8));
      const total = RECORD_HEADER_BYTES + len + RECORD_TRAILER_BYTES;
      if (len > MAX_RECORD || pos + total > size) return null;
      const buf = Buffer.alloc(total);
      readSync(fd, buf, 0, total, pos);
      try {
        const { id, payload } = decodeRecord(buf);
        return { id, offset: pos, length: total, payloadSha256: createHash('sha256').update(payload).digest('hex') };
      } catch {
        return null;
      }
    };
    let pos = SEGMENT_HEADER_BYTES;
    while (pos < size) {
      const rec = at(pos);
      if (rec) {
        out.records.push(rec);
        pos += rec.length;
        continue;
      }
      const next = nextMagic(fd, pos + 1, size, at);
      out.damaged.push({ offset: pos, bytes: (next ?? size) - pos });
      if (next === null) break;
      pos = next;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** the offset of the next record that checks, or null */
function nextMagic(fd: number, from: number, size: number, at: (pos: number) => ScannedRecord | null): number | null {
  const chunk = Buffer.alloc(1024 * 1024);
  for (let base = from; base < size; base += chunk.length - 3) {
    const n = readSync(fd, chunk, 0, chunk.length, base);
    let i = chunk.subarray(0, n).indexOf(RECORD_MAGIC);
    while (i >= 0) {
      if (at(base + i)) return base + i;
      i = chunk.subarray(0, n).indexOf(RECORD_MAGIC, i + 1);
    }
    if (n < chunk.length) break;
  }
  return null;
}

/** The first 8 bytes of a segment file, and whether they are the magic (fsck). */
export function segmentMagic(path: string): { ok: boolean; magic: string } {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(8);
    const n = readSync(fd, b, 0, 8, 0);
    return { ok: n === 8 && b.equals(SEGMENT_MAGIC), magic: b.subarray(0, n).toString('latin1').replace(/[^\x20-\x7e]/g, '?') };
  } finally {
    closeSync(fd);
  }
}
