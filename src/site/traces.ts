import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { listSegmentFiles } from '../archive/index.ts';

/**
 * What in a data directory shows that an archive lives (or lived) there, apart from the
 * index. With the index gone or empty, any of these makes a silent new start wrong: a new
 * site id and an empty log on top of recordings and keys (issue 9, item 6).
 */
export interface ArchiveTraces {
  segments: string[];
  /** key files Tresor created in <data>/keys (systemd credentials exist before any archive) */
  keys: string[];
  quarantine: string[];
}

export function archiveTraces(dataDir: string): ArchiveTraces {
  const keysDir = join(dataDir, 'keys');
  const dirEntries = (d: string) => {
    try {
      return readdirSync(d).filter((n) => /^[0-9A-Z]{26}$/.test(n));
    } catch {
      return [];
    }
  };
  return {
    segments: listSegmentFiles(join(dataDir, 'archive')),
    keys: ['kek', 'log-signing', 'index-secret'].filter((k) => existsSync(join(keysDir, k))),
    quarantine: dirEntries(join(dataDir, 'quarantine')),
  };
}

export function hasTraces(t: ArchiveTraces): boolean {
  return t.segments.length > 0 || t.keys.length > 0 || t.quarantine.length > 0;
}

export function describeTraces(t: ArchiveTraces): string {
  const parts: string[] = [];
  if (t.segments.length) parts.push(`${t.segments.length} archive segment file(s) in archive/`);
  if (t.keys.length) parts.push(`keys in keys/ (${t.keys.join(', ')})`);
  if (t.quarantine.length) parts.push(`${t.quarantine.length} quarantined file(s) in quarantine/`);
  return parts.join(', ');
}
