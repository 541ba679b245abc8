import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fsyncDir, mkdirDurableSync } from '../core/durable.ts';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { newId } from '../core/ids.ts';
import { TresorError, fromSystemError } from '../core/errors.ts';
import type { IndexStore, SegmentRow } from '../store/index.ts';
import { processStartTime } from '../core/index.ts';
import {
  SEGMENT_HEADER_BYTES, decodeRecord, encodeRecordHeader, recordLength, segmentHeader,
} from './record.ts';

export interface RecordLocation {
  segment: string;
  offset: number;
  length: number;
  /** SHA-256 hex of the payload (the ciphertext); fsck compares it */
  payloadSha256: string;
}

/**
 * A payload written as it is produced (sealed chunks of a file being read): `length` is
 * announced up front (it is in the record header), `chunks` must yield exactly that many
 * bytes. A throwing source fails the append like a failed write.
 */
export interface PayloadStream {
  length: number;
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

export interface Archive {
  dir: string;
  /**
   * Appends one record and commits it. `commit` runs inside the all-or-nothing LMDB write
   * transaction (`store.tx`) that also advances the segment's committed size, so index
   * and bytes move together: if it throws, nothing it wrote is kept and the bytes are cut
   * off again. It may return `false` to withdraw the record (another process stored the
   * same call meanwhile): nothing is committed and append resolves `null`.
   */
  append(id: string, payload: Buffer | PayloadStream, commit: (loc: RecordLocation) => unknown): Promise<RecordLocation | null>;
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

/** Thrown inside the commit transaction to abort it when the caller withdrew the record. */
const WITHDRAWN = Symbol('withdrawn');

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
  // fsynced into the data dir: segments fsync archive/ itself, which must survive too
  if (!opts.readOnly) mkdirDurableSync(dir);
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
    await store.tx(() => store.segments.put(name, row));
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
    await store.tx(() => store.segments.put(row.name, { ...row, state: 'closed' }));
  }

  /** Writes header, payload and trailer at `offset`; returns the location and the SHA-256 of all bytes written. */
  async function writeRecord(fh: FileHandle, id: string, offset: number, payload: Buffer | PayloadStream, segment: string) {
    const len = Buffer.isBuffer(payload) ? payload.length : payload.length;
    const total = recordLength(len);
    opts.beforeWrite?.(segment, total);
    const header = encodeRecordHeader(id, len);
    const recordHash = createHash('sha256').update(header);
    const payloadHash = createHash('sha256');
    const whole = createHash('sha256').update(header);
    let pos = offset;
    const put = async (b: Uint8Array) => {
      for (let done = 0; done < b.length;) {
        const { bytesWritten } = await fh.write(b, done, b.length - done, pos);
        if (bytesWritten === 0) throw new TresorError('E_IO', `short write at ${pos}`, { retryable: true });
        done += bytesWritten;
        pos += bytesWritten;
      }
    };
    await put(header);
    let seen = 0;
    for await (const chunk of Buffer.isBuffer(payload) ? [payload] : payload.chunks) {
      seen += chunk.length;
      if (seen > len) throw new TresorError('E_INTERNAL', `record ${id}: payload longer than the ${len} bytes announced`);
      recordHash.update(chunk);
      payloadHash.update(chunk);
      whole.update(chunk);
      await put(chunk);
    }
    if (seen !== len) throw new TresorError('E_INTERNAL', `record ${id}: payload ended after ${seen} of ${len} bytes`);
    const trailer = recordHash.digest();
    whole.update(trailer);
    await put(trailer);
    const loc: RecordLocation = { segment, offset, length: total, payloadSha256: payloadHash.digest('hex') };
    return { loc, sha256: whole.digest() };
  }

  /** SHA-256 of `length` bytes at `offset`, read back from the file in 1 MiB steps. */
  async function hashBack(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(Math.min(length, 1024 * 1024));
    for (let done = 0; done < length;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - done), offset + done);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      done += bytesRead;
    }
    return h.digest();
  }

  async function appendLocked(id: string, payload: Buffer | PayloadStream, commit: (loc: RecordLocation) => unknown): Promise<RecordLocation | null> {
    const bytes = recordLength(payload.length);
    if (current && current.row.committedBytes + bytes > maxBytes && current.row.records > 0) await closeCurrent();
    if (!current) current = await newSegment();
    const seg = current;
    const offset = seg.row.committedBytes;
    try {
      const { loc, sha256 } = await writeRecord(seg.fh, id, offset, payload, seg.row.name);
      await seg.fh.datasync();
      // Read back what the disk gives us before anything trusts it (compared by hash, so
      // a long record is never held in memory twice).
      if (!(await hashBack(seg.fh, offset, bytes)).equals(sha256)) {
        throw new TresorError('E_READBACK_MISMATCH', `read-back of record ${id} differs from what was written`, { retryable: true });
      }
      const next: SegmentRow = { ...seg.row, committedBytes: offset + bytes, records: seg.row.records + 1 };
      // Crash story: before this commit the bytes are an uncommitted tail that recovery
      // truncates (the source is still in the inbox); after it, record and index agree.
      // All or nothing (store.tx): a commit callback that throws half-way leaves no row
      // behind (issue 9). Asynchronous: LMDB's write thread does the fsync, the event loop
      // goes on feeding the running transcodes (see fsyncDir in core/durable.ts).
      const kept = await store.tx(() => {
        if (commit(loc) === false) throw WITHDRAWN;
        store.segments.put(seg.row.name, next);
        return true;
      }).catch((e: unknown) => {
        if (e === WITHDRAWN) return false;
        throw e;
      });
      if (!kept) {
        await seg.fh.truncate(offset);
        return null;
      }
      seg.row = next;
      return loc;
    } catch (e) {
      // Leave no stray bytes behind a failed record: the next append reuses the offset.
      await seg.fh.truncate(offset).catch(() => undefined);
      // an errno is the disk's fault (E_DISK_FULL, E_IO: retryable); anything else (a
      // RangeError from the commit callback, say) is passed on as it is, not called I/O
      const errno = (e as NodeJS.ErrnoException | null)?.code;
      throw typeof errno === 'string' || e instanceof TresorError ? fromSystemError(e, `cannot write recording ${id} to the archive`) : e;
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
