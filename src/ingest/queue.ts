import type { Ingest } from './pipeline.ts';
import type { IngestOutcome, SourceFile } from './types.ts';

export interface QueueStats {
  queued: number;
  active: number;
  done: Record<IngestOutcome['status'], number>;
  lastArchivedAt: number | null;
  errors: number;
}

/**
 * Bounded parallel ingest: `workers` + 1 files in progress at once, the rest wait in
 * arrival order. Media runs at most `workers` ffmpeg processes (MediaOptions.maxConcurrent),
 * so the extra file is read, hashed and claimed, or sealed, written, fsynced and committed,
 * while the CPU-bound transcodes go on: without it each worker's CPU sat idle during its
 * fsyncs (the ingest benchmark showed ~20 % over bare ffmpeg). A path is queued once until
 * its outcome is known.
 */
export function createIngestQueue(
  ingest: Ingest,
  opts: { workers: number; onOutcome?(file: SourceFile, outcome: IngestOutcome): void; onError?(file: SourceFile, e: unknown): void },
) {
  const waiting: SourceFile[] = [];
  const known = new Set<string>();
  let active = 0;
  let stopping = false;
  const idleWaiters: (() => void)[] = [];
  const stats: QueueStats = {
    queued: 0, active: 0, errors: 0, lastArchivedAt: null,
    done: { archived: 0, duplicate: 0, quarantined: 0, deferred: 0, rejected: 0, skipped: 0, refused: 0 },
  };

  function pump(): void {
    while (!stopping && active < opts.workers + 1 && waiting.length) {
      const file = waiting.shift()!;
      active++;
      ingest.ingestFile(file).then(
        (outcome) => {
          stats.done[outcome.status]++;
          if (outcome.status === 'archived') stats.lastArchivedAt = Date.now();
          opts.onOutcome?.(file, outcome);
        },
        (e) => {
          stats.errors++;
          opts.onError?.(file, e);
        },
      ).finally(() => {
        active--;
        known.delete(file.path);
        pump();
        if (active === 0 && waiting.length === 0) idleWaiters.splice(0).forEach((f) => f());
      });
    }
    stats.queued = waiting.length;
    stats.active = active;
  }

  return {
    push(file: SourceFile): boolean {
      if (stopping || known.has(file.path)) return false;
      known.add(file.path);
      waiting.push(file);
      pump();
      return true;
    },
    stats(): QueueStats {
      return { ...stats, queued: waiting.length, active, done: { ...stats.done } };
    },
    idle(): Promise<void> {
      if (active === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise((r) => idleWaiters.push(r));
    },
    /** finishes the files in progress, drops the waiting ones (they stay in the inbox) */
    async stop(): Promise<void> {
      stopping = true;
      for (const f of waiting.splice(0)) known.delete(f.path);
      if (active > 0) await new Promise<void>((r) => idleWaiters.push(r));
    },
  };
}

export type IngestQueue = ReturnType<typeof createIngestQueue>;
