import { createHash } from 'node:crypto';
import { open as openFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../core/durable.ts';
import { newId } from '../core/ids.ts';
import { TresorError, fromSystemError } from '../core/errors.ts';
import type { IndexStore } from '../store/index.ts';
import { processAlive, processStartTime } from '../core/index.ts';
import {
  RECORD_HEADER_BYTES, RECORD_MAGIC, RECORD_TRAILER_BYTES, SEGMENT_HEADER_BYTES, segmentHeader,
} from './record.ts';
import type { SegmentRow } from './segments.ts';

/**
 * Compaction of the archive (FORMAT.md, *Compaction*): after a purge a crypto-shredded
 * record stays in its segment as dead bytes. This copies the live records of segments
 * with enough dead bytes, verbatim (they are already encrypted; nothing is decrypted),
 * into a new segment, repoints the index in one transaction and only then deletes the
 * old files.
 *
 * Crash story, in the order things happen: one function per step, each saying what a
 * crash right after it leaves — planCompaction (reads only), 1. leaseSegments,
 * 2. copyAndVerify, 3. commitCompaction, 4. retireSegments (compactBatch runs them).
 * So no live record is ever without a durable, verified, referenced copy, and after the
 * next start (recovery) `fsck` finds nothing.
 *
 * Concurrency: only `closed` segments are compacted; nobody appends to those (each
 * process appends only to the open segment it created), so appends of the service or an
 * ingest go on beside it. A concurrent purge may drop a row between copy and commit: the
 * commit then skips it (never resurrects it) and its copy is a dead record in the new
 * segment, left for the next compaction. Two compactions never take the same segment
 * (the lease). What is NOT safe across processes: another process's Archive keeps old
 * segment files open for reading (their space comes back only when it closes them), and
 * a read that looked up a row just before the commit may find the old file gone. The CLI
 * therefore refuses to compact while any other process has the index open.
 */

export interface CompactProgress {
  phase: 'plan' | 'copy' | 'verify' | 'commit' | 'done';
  segment?: string;
  bytesDone: number;
  bytesTotal: number;
}

export interface CompactOptions {
  dataDir: string;
  store: IndexStore;
  /** the access log; `appendSync` runs inside the commit transaction */
  log: { appendSync(entries: { actor: string; action: string; target: string; detail: Record<string, unknown> }[]): unknown };
  actor: string;
  /** compact a segment when dead bytes / record bytes reach this (default 0.2) */
  minDeadRatio?: number;
  /** the new segments' size limit (default 1 GiB, as for appends) */
  maxSegmentBytes?: number;
  onProgress?: (p: CompactProgress) => void;
  /** fault injection for tests: called at named points (see FAULT_POINTS) */
  fault?: (point: CompactFaultPoint) => void;
}

export const FAULT_POINTS = ['leased', 'copying', 'written', 'committed', 'unlinked'] as const;
export type CompactFaultPoint = (typeof FAULT_POINTS)[number];

export interface CompactReport {
  /** old segments compacted (their files are gone) */
  segments: number;
  /** new segments written */
  newSegments: number;
  /** committed bytes of the old segments */
  bytesBefore: number;
  /** committed bytes of the new segments */
  bytesAfter: number;
  recordsMoved: number;
  /** records dropped by a purge while they were being copied (dead in the new segment) */
  recordsRaced: number;
  /** leftovers of an interrupted compaction removed first */
  cleaned: number;
  seconds: number;
}

/** A segment row as compaction extends it (extra fields; older code ignores them). */
interface CompactSegmentRow extends SegmentRow {
  /** a compaction (pid + start time) is copying this segment */
  compactor?: { pid: number; pidStart: string | null };
  /** this row is a compaction's new segment (until its commit) */
  compactionTarget?: boolean;
  /** the segment was compacted into that one; the file is waiting to be deleted */
  retiredInto?: string | null;
}

interface Live {
  id: string;
  offset: number;
  length: number;
  payloadSha256: string;
}

interface Plan {
  row: CompactSegmentRow;
  live: Live[];
  liveBytes: number;
}

const DEFAULT_MAX = 1024 * 1024 * 1024;

/** One compaction run: its options, resolved, and the progress shared by its batches. */
interface Run {
  opts: CompactOptions;
  store: IndexStore;
  dir: string;
  fault: (point: CompactFaultPoint) => void;
  /** the lease this process puts on the segments it copies */
  me: { pid: number; pidStart: string | null };
  bytesDone: number;
  bytesTotal: number;
}

type Moved = Live & { from: string; newOffset: number };

/** What one batch did, for the report. */
interface BatchResult {
  segments: number;
  into: string | null;
  bytesBefore: number;
  bytesAfter: number;
  moved: number;
  raced: number;
}

export async function compactArchive(opts: CompactOptions): Promise<CompactReport> {
  const t0 = performance.now();
  const { store } = opts;
  const minDead = opts.minDeadRatio ?? 0.2;
  const maxBytes = opts.maxSegmentBytes ?? DEFAULT_MAX;
  if (!(minDead >= 0 && minDead <= 1)) throw new TresorError('E_INVALID', `minimum dead ratio must be between 0 and 1, not ${minDead}`);
  const run: Run = {
    opts, store, dir: join(opts.dataDir, 'archive'), fault: opts.fault ?? (() => {}),
    me: { pid: process.pid, pidStart: processStartTime(process.pid) }, bytesDone: 0, bytesTotal: 0,
  };
  const report: CompactReport = { segments: 0, newSegments: 0, bytesBefore: 0, bytesAfter: 0, recordsMoved: 0, recordsRaced: 0, cleaned: 0, seconds: 0 };

  report.cleaned = await cleanupCompaction(opts.dataDir, store);
  const plans = planCompaction(store, minDead);
  opts.onProgress?.({ phase: 'plan', bytesDone: 0, bytesTotal: plans.reduce((s, p) => s + p.liveBytes, 0) });

  run.bytesTotal = plans.reduce((s, p) => s + p.liveBytes, 0);
  for (const batch of batchPlans(plans, maxBytes)) {
    const r = await compactBatch(run, batch);
    report.segments += r.segments;
    report.newSegments += r.into ? 1 : 0;
    report.bytesBefore += r.bytesBefore;
    report.bytesAfter += r.bytesAfter;
    report.recordsMoved += r.moved;
    report.recordsRaced += r.raced;
  }
  report.seconds = +((performance.now() - t0) / 1000).toFixed(3);
  opts.onProgress?.({ phase: 'done', bytesDone: run.bytesDone, bytesTotal: run.bytesTotal });
  return report;
}

/**
 * Plan (reads only; a crash here leaves nothing): live bytes per closed segment, in one
 * pass over the recordings (there is no by-segment index, and a monthly job can afford
 * the scan). A segment is taken when its dead share reaches `minDead`, and never while
 * another live compaction holds its lease.
 */
function planCompaction(store: IndexStore, minDead: number): Plan[] {
  const rows = new Map<string, CompactSegmentRow>();
  for (const { key, value } of store.segments.getRange()) {
    const row = value as CompactSegmentRow;
    if (row.state !== 'closed' || row.retiredInto !== undefined || row.records === 0) continue;
    if (row.compactor && processAlive(row.compactor.pid, row.compactor.pidStart)) continue;
    rows.set(key, row);
  }
  const live = new Map<string, Live[]>();
  for (const { value } of store.recordings.getRange()) {
    const r = value as Live & { segment: string };
    if (!rows.has(r.segment)) continue;
    (live.get(r.segment) ?? live.set(r.segment, []).get(r.segment)!).push({ id: r.id, offset: r.offset, length: r.length, payloadSha256: r.payloadSha256 });
  }
  const plans: Plan[] = [];
  for (const [name, row] of rows) {
    const l = (live.get(name) ?? []).sort((a, b) => a.offset - b.offset);
    const liveBytes = l.reduce((s, x) => s + x.length, 0);
    const recordBytes = row.committedBytes - SEGMENT_HEADER_BYTES;
    const dead = recordBytes - liveBytes;
    if (dead <= 0 || recordBytes <= 0 || dead / recordBytes < minDead) continue;
    plans.push({ row, live: l, liveBytes });
  }
  return plans.sort((a, b) => (a.row.name < b.row.name ? -1 : 1));
}

/**
 * Batches: the live records of several half-empty segments go into one new segment up
 * to the size limit, so repeated compaction does not leave ever smaller files.
 */
function batchPlans(plans: readonly Plan[], maxBytes: number): Plan[][] {
  const batches: Plan[][] = [];
  let cur: Plan[] = [];
  let curBytes = SEGMENT_HEADER_BYTES;
  for (const p of plans) {
    if (cur.length && curBytes + p.liveBytes > maxBytes) {
      batches.push(cur);
      cur = [];
      curBytes = SEGMENT_HEADER_BYTES;
    }
    cur.push(p);
    curBytes += p.liveBytes;
  }
  if (cur.length) batches.push(cur);
  return batches;
}

/** One batch through the crash story's steps: lease, copy + verify, commit, retire. */
async function compactBatch(run: Run, batch: Plan[]): Promise<BatchResult> {
  const anyLive = batch.some((p) => p.live.length > 0);
  const into = anyLive ? `seg-${newId()}.tsa` : null;
  const taken = await leaseSegments(run, batch, into);
  if (!taken.length) {
    if (into) await run.store.tx(() => run.store.segments.remove(into));
    return { segments: 0, into: null, bytesBefore: 0, bytesAfter: 0, moved: 0, raced: 0 };
  }
  run.fault('leased');
  // only when something is live: a batch of empty segments is just retired
  const copy = into ? await copyAndVerify(run, taken, into) : { moved: [], end: SEGMENT_HEADER_BYTES };
  const result = await commitCompaction(run, taken, into, copy.moved, copy.end);
  run.fault('committed');
  await retireSegments(run, taken);
  return { ...result, segments: taken.length, into };
}

/**
 * 1. Lease: one transaction marks the old rows `compactor: {pid, pidStart}` and creates the
 * new segment's row `{state: 'open', records: 0, committedBytes: 16}` before its file
 * exists — exactly like a normal new segment. A crash leaves a dead lease (ignored) and a
 * row without a file (recovery deletes it). Returns the plans it could lease: a segment
 * changed since the plan, or leased by a live compaction meanwhile, is left out.
 */
async function leaseSegments(run: Run, batch: Plan[], into: string | null): Promise<Plan[]> {
  const { store, me } = run;
  return store.tx(() => {
    const ok: Plan[] = [];
    for (const p of batch) {
      const row = store.segments.get(p.row.name) as CompactSegmentRow | undefined;
      if (!row || row.state !== 'closed' || row.retiredInto !== undefined || row.committedBytes !== p.row.committedBytes) continue;
      if (row.compactor && processAlive(row.compactor.pid, row.compactor.pidStart)) continue;
      store.segments.put(p.row.name, { ...row, compactor: me });
      ok.push({ ...p, row: { ...row, compactor: me } });
    }
    if (into && ok.length) {
      const target: CompactSegmentRow = {
        name: into, pid: process.pid, pidStart: me.pidStart, createdAt: Date.now(),
        committedBytes: SEGMENT_HEADER_BYTES, records: 0, state: 'open', compactionTarget: true,
      };
      store.segments.put(into, target);
    }
    return ok;
  });
}

/**
 * 2. Copy, fdatasync, fsync dir, read back and check every payload's SHA-256 against the
 * index: a crash leaves a new file whose bytes are all past its committed size (16);
 * recovery truncates it to the header and deletes it with its row. The old segments are
 * untouched and still referenced. A failure undoes it here: the new file and its row go,
 * the leases are released.
 */
async function copyAndVerify(run: Run, taken: Plan[], into: string): Promise<{ moved: Moved[]; end: number }> {
  const { store, dir } = run;
  let out: FileHandle | null = null;
  const path = join(dir, into);
  try {
    out = await openFile(path, 'wx+', 0o600);
    await out.write(segmentHeader(), 0, SEGMENT_HEADER_BYTES, 0);
    const copied = await copyRecords(run, taken, out);
    await out.datasync();
    await fsyncDir(dir);
    run.fault('written');
    await verifyCopy(run, out, into, copied.moved, copied.buf);
    await out.close();
    out = null;
    return { moved: copied.moved, end: copied.end };
  } catch (e) {
    // Undo: the new file and its row go, the leases are released; the old segments
    // were never changed.
    await out?.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    await fsyncDir(dir).catch(() => undefined);
    await store.tx(() => {
      store.segments.remove(into);
      for (const p of taken) {
        const row = store.segments.get(p.row.name) as CompactSegmentRow | undefined;
        if (row?.compactor?.pid === process.pid) store.segments.put(p.row.name, withoutLease(row));
      }
    }).catch(() => undefined);
    throw fromSystemError(e, `cannot compact ${taken.map((p) => p.row.name).join(', ')}`);
  }
}

/** The live records, verbatim (already encrypted: nothing is decrypted), one after another into `out`. */
async function copyRecords(run: Run, taken: Plan[], out: FileHandle): Promise<{ moved: Moved[]; end: number; buf: Buffer }> {
  const { store, dir, opts } = run;
  const moved: Moved[] = [];
  let end = SEGMENT_HEADER_BYTES;
  let buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  let first = true;
  for (const p of taken) {
    opts.onProgress?.({ phase: 'copy', segment: p.row.name, bytesDone: run.bytesDone, bytesTotal: run.bytesTotal });
    const src = await openFile(join(dir, p.row.name), 'r');
    try {
      for (const rec of p.live) {
        // a purge since the plan: do not copy what is already dead
        const now = store.recordings.get(rec.id) as { segment: string; offset: number } | undefined;
        if (!now || now.segment !== p.row.name || now.offset !== rec.offset) continue;
        if (buf.length < rec.length) buf = Buffer.allocUnsafe(rec.length);
        const b = buf.subarray(0, rec.length);
        const { bytesRead } = await src.read(b, 0, rec.length, rec.offset);
        if (bytesRead !== rec.length) throw new TresorError('E_INTEGRITY', `segment ${p.row.name} ends inside the record of ${rec.id} at ${rec.offset}`);
        checkHeader(b, rec, p.row.name);
        const { bytesWritten } = await out.write(b, 0, rec.length, end);
        if (bytesWritten !== rec.length) throw new TresorError('E_IO', `short write (${bytesWritten} of ${rec.length})`, { retryable: true });
        moved.push({ ...rec, from: p.row.name, newOffset: end });
        end += rec.length;
        run.bytesDone += rec.length;
        if (first) {
          first = false;
          run.fault('copying');
        }
      }
    } finally {
      await src.close();
    }
  }
  return { moved, end, buf };
}

/**
 * Read back what the disk gives us and check it against the index's hash of each
 * payload: this also proves the source bytes were the right ones.
 */
async function verifyCopy(run: Run, out: FileHandle, into: string, moved: readonly Moved[], buffer: Buffer): Promise<void> {
  run.opts.onProgress?.({ phase: 'verify', segment: into, bytesDone: run.bytesDone, bytesTotal: run.bytesTotal });
  let buf = buffer;
  for (const m of moved) {
    if (buf.length < m.length) buf = Buffer.allocUnsafe(m.length);
    const b = buf.subarray(0, m.length);
    const { bytesRead } = await out.read(b, 0, m.length, m.newOffset);
    if (bytesRead !== m.length) throw new TresorError('E_READBACK_MISMATCH', `read-back of ${into} is short at ${m.newOffset}`);
    checkHeader(b, m, into);
    const sha = createHash('sha256').update(b.subarray(RECORD_HEADER_BYTES, m.length - RECORD_TRAILER_BYTES)).digest('hex');
    if (sha !== m.payloadSha256) {
      throw new TresorError('E_INTEGRITY', `record of ${m.id} (from ${m.from} at ${m.offset}) does not match the index hash; nothing compacted, run tresor fsck`);
    }
  }
}

/**
 * 3. Commit, one transaction: every moved row repointed (if it still points at the old
 * place: a row a purge dropped meanwhile is skipped, never resurrected), the new row
 * closed with its committed size, the old rows *retired* (`records: 0, committedBytes:
 * 16, retiredInto`), one `archive.compacted` log entry. A crash leaves old files whose
 * bytes are all past their committed size; recovery truncates and deletes them, and so
 * does the next compaction.
 */
async function commitCompaction(
  run: Run, taken: Plan[], into: string | null, moved: readonly Moved[], end: number,
): Promise<{ bytesBefore: number; bytesAfter: number; moved: number; raced: number }> {
  const { store, opts } = run;
  const { log, actor } = opts;
  opts.onProgress?.({ phase: 'commit', segment: into ?? undefined, bytesDone: run.bytesDone, bytesTotal: run.bytesTotal });
  const bytesBefore = taken.reduce((s, p) => s + p.row.committedBytes, 0);
  const bytesAfter = into ? end : 0;
  const result = await store.tx(() => {
    let ok = 0;
    let raced = 0;
    for (const m of moved) {
      const row = store.recordings.get(m.id);
      if (!row || row.segment !== m.from || row.offset !== m.offset || row.payloadSha256 !== m.payloadSha256) {
        raced++;
        continue;
      }
      store.recordings.put(m.id, { ...row, segment: into, offset: m.newOffset });
      ok++;
    }
    if (into) {
      const target = store.segments.get(into) as CompactSegmentRow;
      const { compactionTarget: _t, ...closed } = target;
      store.segments.put(into, { ...closed, committedBytes: end, records: moved.length, state: 'closed' } satisfies SegmentRow);
    }
    for (const p of taken) {
      store.segments.put(p.row.name, {
        ...withoutLease(p.row), committedBytes: SEGMENT_HEADER_BYTES, records: 0, retiredInto: into,
      } satisfies CompactSegmentRow);
    }
    log.appendSync([{
      actor, action: 'archive.compacted', target: 'archive',
      detail: {
        segments: taken.map((p) => p.row.name), into, bytesBefore, bytesAfter, recordsMoved: ok, recordsRaced: raced,
      },
    }]);
    return { ok, raced };
  });
  return { bytesBefore, bytesAfter, moved: result.ok, raced: result.raced };
}

/**
 * 4. Retire: unlink the old files, fsync the dir, then drop the retired rows. A crash
 * between leaves retired rows that cleanupCompaction or recovery finish.
 */
async function retireSegments(run: Run, taken: Plan[]): Promise<void> {
  const { store, dir } = run;
  for (const p of taken) await unlink(join(dir, p.row.name)).catch((e) => {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  });
  await fsyncDir(dir);
  run.fault('unlinked');
  await store.tx(() => {
    for (const p of taken) {
      const row = store.segments.get(p.row.name) as CompactSegmentRow | undefined;
      if (row && row.retiredInto !== undefined && row.records === 0) store.segments.remove(p.row.name);
    }
  });
}

function withoutLease(row: CompactSegmentRow): CompactSegmentRow {
  const { compactor: _c, ...rest } = row;
  return rest;
}

function checkHeader(b: Buffer, rec: { id: string; length: number; offset: number }, seg: string): void {
  const len = b.length >= RECORD_HEADER_BYTES ? Number(b.readBigUInt64BE(8)) : -1;
  if (!b.subarray(0, 4).equals(RECORD_MAGIC) || b[4] !== 1 || RECORD_HEADER_BYTES + len + RECORD_TRAILER_BYTES !== rec.length || b.toString('ascii', 16, 42) !== rec.id) {
    throw new TresorError('E_INTEGRITY', `segment ${seg}: the record at ${rec.offset} is not the one of ${rec.id} the index names`);
  }
}

/**
 * Finishes what an interrupted compaction left (also done by recovery at start):
 * retired segments whose files still exist are deleted, and new segments of a dead
 * compaction that never committed are deleted with their rows. Returns how many.
 */
export async function cleanupCompaction(dataDir: string, store: IndexStore): Promise<number> {
  const dir = join(dataDir, 'archive');
  const gone: string[] = [];
  for (const { key, value } of store.segments.getRange()) {
    const row = value as CompactSegmentRow;
    const retired = row.retiredInto !== undefined && row.records === 0;
    const deadTarget = row.compactionTarget === true && row.records === 0 && row.state === 'open' && !processAlive(row.pid, row.pidStart);
    if (!retired && !deadTarget) continue;
    await unlink(join(dir, key)).catch((e) => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    });
    gone.push(key);
  }
  if (!gone.length) return 0;
  await fsyncDir(dir);
  await store.tx(() => {
    for (const k of gone) {
      const row = store.segments.get(k) as CompactSegmentRow | undefined;
      if (row && row.records === 0 && (row.retiredInto !== undefined || row.compactionTarget)) store.segments.remove(k);
    }
  });
  return gone.length;
}
