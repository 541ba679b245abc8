import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { fsyncDir } from '../core/durable.ts';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { newId } from '../core/ids.ts';
import { TresorError, fromSystemError } from '../core/errors.ts';
import type { IndexStore } from '../index/index.ts';
import { processStartTime } from './proc.ts';
import {
  SEGMENT_HEADER_BYTES, decodeRecord, encodeRecord, recordLength, segmentHeader,
} from './record.ts';

export interface RecordLocation {
  segment: string;
  offset: number;
  length: number;
  /** SHA-256 hex of the payload (the ciphertext); fsck compares it */
  payloadSha256: string;
}

export interface SegmentRow {
  name: string;
  pid: number;
  pidStart: string | null;
  createdAt: number;
  /** bytes of the file that belong to committed records (plus the file header) */
  committedBytes: number;
  records: number;
  state: 'open' | 'closed';
}

export interface Archive {
  dir: string;
  /**
   * Appends one record and commits it. `commit` runs inside the LMDB write transaction
   * that also advances the segment's committed size, so index and bytes move together.
   */
  append(id: string, payload: Buffer, commit: (loc: RecordLocation) => void): Promise<RecordLocation>;
  read(loc: RecordLocation): Promise<Buffer>;
  close(): Promise<void>;
}

export interface ArchiveOptions {
  /** start a new segment beyond this size */
  maxSegmentBytes?: number;
  /** fault injection for tests: called before each write with the bytes about to go out */
  beforeWrite?: (segment: string, bytes: number) => void;
  /** reads only (fsck): creates no folder, refuses appends */
  readOnly?: boolean;
}

export function segmentPath(dir: string, name: string): string {
  return join(dir, name);
}

export function listSegmentFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => /^seg-[0-9A-Z]{26}\.tsa$/.test(n)).sort();
  } catch {
    return [];
  }
}

export function openArchive(dataDir: string, store: IndexStore, opts: ArchiveOptions = {}): Archive {
  const dir = join(dataDir, 'archive');
  if (!opts.readOnly) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const maxBytes = opts.maxSegmentBytes ?? 1024 * 1024 * 1024;
  const pidStart = processStartTime(process.pid);

  // Each process writes only to segments it created, so the service and a CLI `ingest`
  // never interleave bytes in one file; within the process appends are serialised.
  let current: { row: SegmentRow; fh: FileHandle } | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  const readers = new Map<string, FileHandle>();

  async function newSegment(): Promise<{ row: SegmentRow; fh: FileHandle }> {
    const name = `seg-${newId()}.tsa`;
    const row: SegmentRow = {
      name, pid: process.pid, pidStart, createdAt: Date.now(),
      committedBytes: SEGMENT_HEADER_BYTES, records: 0, state: 'open',
    };
    // Crash story: the row is durable before the file exists, so recovery never meets a
    // segment file it knows nothing about; a row without a file is an empty segment.
    await store.root.transaction(() => store.segments.put(name, row));
    const path = segmentPath(dir, name);
    let fh: FileHandle;
    try {
      fh = await openFile(path, 'wx+', 0o600);
      await fh.write(segmentHeader(), 0, SEGMENT_HEADER_BYTES, 0);
      await fh.datasync();
      await fsyncDir(dir);
    } catch (e) {
      throw fromSystemError(e, `cannot create archive segment ${name}`);
    }
    return { row, fh };
  }

  async function closeCurrent(): Promise<void> {
    if (!current) return;
    const { row, fh } = current;
    current = null;
    await fh.close();
    await store.root.transaction(() => store.segments.put(row.name, { ...row, state: 'closed' }));
  }

  async function appendLocked(id: string, payload: Buffer, commit: (loc: RecordLocation) => void): Promise<RecordLocation> {
    const bytes = encodeRecord(id, payload);
    if (current && current.row.committedBytes + bytes.length > maxBytes && current.row.records > 0) await closeCurrent();
    if (!current) current = await newSegment();
    const seg = current;
    const offset = seg.row.committedBytes;
    const loc: RecordLocation = {
      segment: seg.row.name, offset, length: bytes.length,
      payloadSha256: createHash('sha256').update(payload).digest('hex'),
    };
    try {
      opts.beforeWrite?.(seg.row.name, bytes.length);
      const { bytesWritten } = await seg.fh.write(bytes, 0, bytes.length, offset);
      if (bytesWritten !== bytes.length) throw new TresorError('E_IO', `short write (${bytesWritten} of ${bytes.length})`, { retryable: true });
      await seg.fh.datasync();
      // Read back what the disk gives us before anything trusts it.
      const back = Buffer.allocUnsafe(bytes.length);
      await seg.fh.read(back, 0, bytes.length, offset);
      if (!back.equals(bytes)) throw new TresorError('E_READBACK_MISMATCH', `read-back of record ${id} differs from what was written`, { retryable: true });
      const next: SegmentRow = { ...seg.row, committedBytes: offset + bytes.length, records: seg.row.records + 1 };
      // Crash story: before this commit the bytes are an uncommitted tail that recovery
      // truncates (the source is still in the inbox); after it, record and index agree.
      // Asynchronous commit: LMDB's write thread does the fsync, the event loop goes on
      // feeding the running transcodes (see fsyncDir in core/durable.ts).
      await store.root.transaction(() => {
        commit(loc);
        store.segments.put(seg.row.name, next);
      });
      seg.row = next;
      return loc;
    } catch (e) {
      // Leave no stray bytes behind a failed record: the next append reuses the offset.
      await seg.fh.truncate(offset).catch(() => undefined);
      throw fromSystemError(e, `cannot write recording ${id} to the archive`);
    }
  }

  return {
    dir,
    append(id, payload, commit) {
      if (opts.readOnly) return Promise.reject(new TresorError('E_INTERNAL', 'the archive is open read-only'));
      const run = queue.then(() => appendLocked(id, payload, commit));
      queue = run.catch(() => undefined);
      return run;
    },
    async read(loc) {
      let fh = readers.get(loc.segment);
      if (!fh) {
        try {
          fh = await openFile(segmentPath(dir, loc.segment), 'r');
        } catch (e) {
          throw new TresorError('E_INTEGRITY', `segment ${loc.segment} is missing: ${(e as Error).message}`);
        }
        readers.set(loc.segment, fh);
      }
      const buf = Buffer.allocUnsafe(loc.length);
      const { bytesRead } = await fh.read(buf, 0, loc.length, loc.offset);
      if (bytesRead !== loc.length) {
        throw new TresorError('E_INTEGRITY', `segment ${loc.segment} ends before the record at ${loc.offset} (${bytesRead} of ${loc.length} bytes)`);
      }
      const { payload } = decodeRecord(buf);
      if (createHash('sha256').update(payload).digest('hex') !== loc.payloadSha256) {
        throw new TresorError('E_INTEGRITY', `record at ${loc.segment}:${loc.offset} does not match the index hash`);
      }
      return payload;
    },
    async close() {
      await queue;
      await closeCurrent();
      for (const fh of readers.values()) await fh.close();
      readers.clear();
    },
  };
}

export { recordLength };
