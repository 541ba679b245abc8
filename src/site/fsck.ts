import { statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { listSegmentFiles, segmentMagic, SEGMENT_HEADER_BYTES, type Archive } from '../archive/index.ts';
import { processAlive } from '../core/index.ts';
import type { SegmentRow } from '../store/index.ts';
import { listQuarantine, quarantineDir, unlistedQuarantineFolders } from '../ingest/quarantine.ts';
import type { Site } from './open.ts';

export interface FsckReport {
  recordings: number;
  segments: number;
  bytesChecked: number;
  problems: string[];
  /** states that are not faults but that a person may want to know (unfinished clean-up) */
  notes: string[];
}

/**
 * Checks every record against the index and the keys, and every segment for bytes no
 * record accounts for. Collects all problems instead of stopping at the first.
 *
 * fsck decrypts every recording (audio and personal fields) to prove it opens, so it logs
 * one `archive.checked` entry first, before it reads or opens anything (DESIGN §1: nothing
 * decrypts personal data without a durable log entry first). When that entry cannot be
 * written (a full disk, a log that refuses), nothing is opened: the error is the answer.
 * The CLI opens the site `logOnly` for this (src/site/open.ts): writable for log entries,
 * nothing else written.
 */
export async function fsck(
  site: Site, archive: Archive, progress?: (done: number, total: number) => void, actor = 'system:fsck',
): Promise<FsckReport> {
  const { store, keys, config } = site;
  const problems: string[] = [];
  const notes: string[] = [];
  const spans = new Map<string, [number, number][]>();
  const total = store.recordings.count();
  await site.log.append([{ actor, action: 'archive.checked', target: 'archive', detail: { recordings: total, quarantined: store.quarantine.count() } }]);
  let n = 0;
  let bytes = 0;
  for (const row of store.recordings.rows()) {
    const key = row.id;
    n++;
    if (n % 200 === 0) progress?.(n, total);
    (spans.get(row.segment) ?? spans.set(row.segment, []).get(row.segment)!).push([row.offset, row.length]);
    try {
      const sealed = await archive.read({ segment: row.segment, offset: row.offset, length: row.length, payloadSha256: row.payloadSha256 });
      bytes += sealed.length;
      if (!store.keys.has(key)) {
        problems.push(`recording ${key}: no data key in the index`);
        continue;
      }
      const opener = keys.openRecording(key);
      const audio = opener.open(sealed);
      if (audio.length !== row.storedBytes) problems.push(`recording ${key}: audio is ${audio.length} bytes, index says ${row.storedBytes}`);
      opener.open(row.personal);
    } catch (e) {
      problems.push(`recording ${key}: ${(e as Error).message}`);
    }
    if (store.recordings.idForSha(row.sourceSha256) !== key) problems.push(`recording ${key}: duplicate-check entry missing`);
  }
  progress?.(n, total);

  const liveSegments = new Set(spans.keys());
  // Purged recordings leave their (now undecryptable) bytes in place until compaction:
  // accounted for by their tombstones, not orphans.
  for (const p of store.purged.all()) {
    // tombstones from before the span was recorded have none
    if (p.segment && p.offset !== undefined && p.length !== undefined) {
      const list = spans.get(p.segment) ?? [];
      list.push([p.offset, p.length]);
      spans.set(p.segment, list);
    }
  }

  const dir = join(config.dataDir, 'archive');
  const rows = new Map<string, SegmentRow>();
  for (const { name, row } of store.segments.entries()) rows.set(name, row);
  for (const [name, row] of rows) {
    // A compaction killed after its commit leaves the old segments retired (no record
    // counts in them any more; the tombstones of purged records still point there), a
    // kill before it leaves a new segment that never committed. Both are finished by the
    // next start or compaction; neither holds anything the index needs.
    if (row.retiredInto !== undefined && row.records === 0) {
      notes.push(`segment ${name}: compacted into ${row.retiredInto ?? '(nothing: no live records)'}; the old file is removed at the next start or compaction`);
      continue;
    }
    if (row.compactionTarget && row.records === 0 && row.state === 'open' && !processAlive(row.pid, row.pidStart)) {
      notes.push(`segment ${name}: the new segment of a compaction that was interrupted before its commit; removed at the next start or compaction`);
      continue;
    }
    let size = -1;
    try {
      size = statSync(join(dir, name)).size;
    } catch {
      /* missing */
    }
    const writing = row.state === 'open' && processAlive(row.pid, row.pidStart);
    if (size < 0) {
      if (row.records > 0) problems.push(`segment ${name}: file missing (${row.records} records)`);
      continue;
    }
    const magic = segmentMagic(join(dir, name));
    if (!magic.ok) problems.push(`segment ${name}: header damaged (magic "${magic.magic}", expected "TRSEG001")`);
    if (size < row.committedBytes) problems.push(`segment ${name}: file is ${size} bytes, ${row.committedBytes} committed: data lost`);
    if (size > row.committedBytes && !writing) problems.push(`segment ${name}: ${size - row.committedBytes} bytes past the last committed record (run the service once to recover)`);
    // Records must tile the segment from its header to the committed end: a gap is
    // bytes that no index entry accounts for.
    let pos = SEGMENT_HEADER_BYTES;
    for (const [off, len] of (spans.get(name) ?? []).sort((a, b) => a[0] - b[0])) {
      if (off > pos) problems.push(`segment ${name}: ${off - pos} orphan bytes at ${pos}`);
      if (off < pos) problems.push(`segment ${name}: records overlap at ${off}`);
      pos = off + len;
    }
    if (pos < row.committedBytes) problems.push(`segment ${name}: ${row.committedBytes - pos} orphan bytes at ${pos}`);
  }
  for (const seg of spans.keys()) if (!rows.has(seg) && liveSegments.has(seg)) problems.push(`segment ${seg}: referenced by recordings but unknown to the index`);
  for (const f of listSegmentFiles(dir)) if (!rows.has(f)) problems.push(`segment ${f}: file not known to the index`);

  for (const q of listQuarantine(store)) {
    if (!existsSync(join(quarantineDir(config.dataDir), q.id, 'original.tsq'))) problems.push(`quarantine ${q.id}: original file missing`);
  }
  for (const f of await unlistedQuarantineFolders(config.dataDir, store)) problems.push(`quarantine folder ${f}: not in the index (interrupted quarantine; inspect by hand)`);

  return { recordings: n, segments: rows.size, bytesChecked: bytes, problems, notes };
}
