import { statSync, truncateSync, openSync, fsyncSync, closeSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { IndexStore } from '../store/index.ts';
import { processAlive } from '../core/index.ts';
import { listSegmentFiles } from './segments.ts';
import { SEGMENT_HEADER_BYTES } from './record.ts';

export interface RecoveryReport {
  /** uncommitted tails cut off (their sources are still in the inbox) */
  truncated: { segment: string; bytes: number }[];
  /** segments shorter than the index says: committed recordings lost bytes */
  damaged: { segment: string; fileBytes: number; committedBytes: number }[];
  /** segment files the index does not know (never deleted: a person must look) */
  unknownFiles: string[];
  /** segments of dead writers marked closed */
  closed: number;
}

/**
 * Brings segments in line with the index after a crash. Runs at start, before this
 * process writes. Segments of another live process (the service while a CLI runs) are
 * left alone.
 */
export function recoverSegments(dataDir: string, store: IndexStore): RecoveryReport {
  const dir = join(dataDir, 'archive');
  const report: RecoveryReport = { truncated: [], damaged: [], unknownFiles: [], closed: 0 };
  const known = new Set<string>();
  for (const { name: key, row } of store.segments.entries()) {
    known.add(key);
    if (row.state === 'open' && processAlive(row.pid, row.pidStart)) continue;
    const path = join(dir, row.name);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      size = -1;
    }
    if (size < 0 && row.records === 0) {
      // created in the index, crashed before the file existed (or with only its header)
      store.txSync(() => store.segments.remove(key));
      continue;
    }
    if (size > row.committedBytes) {
      // Bytes of a record whose index commit never happened: its source was not yet
      // disposed of, so the rescan ingests it again; keeping the tail would store it twice.
      truncateSync(path, row.committedBytes);
      const fd = openSync(path, 'r+');
      fsyncSync(fd);
      closeSync(fd);
      report.truncated.push({ segment: row.name, bytes: size - row.committedBytes });
    } else if (size < row.committedBytes) {
      report.damaged.push({ segment: row.name, fileBytes: Math.max(0, size), committedBytes: row.committedBytes });
    }
    const finalSize = Math.min(size, row.committedBytes);
    if (row.records === 0 && finalSize <= SEGMENT_HEADER_BYTES && finalSize >= 0) {
      unlinkSync(path);
      store.txSync(() => store.segments.remove(key));
      continue;
    }
    if (row.state === 'open') {
      store.txSync(() => store.segments.put(key, { ...row, state: 'closed' }));
      report.closed++;
    }
  }
  for (const f of listSegmentFiles(dir)) if (!known.has(f)) report.unknownFiles.push(f);
  return report;
}
