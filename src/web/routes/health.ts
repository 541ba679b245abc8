import { countRecordings } from '../../store/index.ts';
import { Hono } from 'hono';
import { statfs } from 'node:fs/promises';
import { idTime, newId } from '../../core/ids.ts';
import { listQuarantine } from '../../ingest/quarantine.ts';
import type { RecordingRow } from '../../store/index.ts';
import type { AppDeps } from '../app.ts';
import type { WebEnv } from '../env.ts';

/**
 * /healthz (no auth: load balancers and systemd watchdogs) and /metrics (Prometheus
 * text). Both carry counts only, never ids, names or numbers.
 */
export function healthRoutes(deps: Pick<AppDeps, 'site' | 'ingestStatus' | 'config'>) {
  const app = new Hono<WebEnv>();
  app.get('/healthz', (c) => {
    const s = deps.ingestStatus();
    return c.json({ ok: s.scannerRunning, ingest: { queued: s.queue.queued, active: s.queue.active }, logSize: deps.site.log.size() }, s.scannerRunning ? 200 : 503);
  });

  app.get('/metrics', async (c) => {
    const s = deps.ingestStatus();
    const q = s.queue;
    const { store, log } = deps.site;
    const disk = await diskSpace(deps.config.dataDir);
    const last = lastIngestAt(deps.site.store);
    const cp = log.latestCheckpoint();
    const gauge = (name: string, help: string, value: number | string) =>
      [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`];
    const lines = [
      ...gauge('tresor_recordings', 'Recordings in the archive.', countRecordings(store)),
      ...gauge('tresor_quarantined', 'Files in quarantine.', listQuarantine(store).length),
      ...gauge('tresor_ingest_queued', 'Files waiting for ingest.', q.queued),
      ...gauge('tresor_ingest_active', 'Files being ingested.', q.active),
      ...gauge('tresor_ingest_deferred', 'Files left in the inbox for now (disk full, time-out), each counted once.', s.deferred?.length ?? 0),
      '# HELP tresor_ingest_outcomes_total Ingest outcomes since start.',
      '# TYPE tresor_ingest_outcomes_total counter',
      ...Object.entries(q.done).map(([k, v]) => `tresor_ingest_outcomes_total{outcome="${k}"} ${v}`),
      ...gauge('tresor_log_entries', 'Entries in the access log.', log.size()),
      ...gauge('tresor_log_checkpoint_size', 'Entries covered by the latest signed checkpoint.', cp?.size ?? 0),
      ...(disk ? gauge('tresor_data_free_bytes', 'Free bytes on the data directory\'s file system (for unprivileged use).', disk.freeBytes) : []),
      ...(disk ? gauge('tresor_data_size_bytes', 'Size of the data directory\'s file system.', disk.totalBytes) : []),
      ...(last !== null ? gauge('tresor_last_ingest_timestamp_seconds', 'When the newest recording was archived (Unix time).', (last / 1000).toFixed(3)) : []),
      ...gauge('tresor_sessions', 'Stored console sessions (expired ones count until swept).', store.sessions.count()),
      ...gauge('tresor_approvals_pending', 'Four-eyes requests waiting for a decision.', pendingCount(deps)),
      '',
    ];
    return c.text(lines.join('\n'), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
  return app;
}

function pendingCount(deps: Pick<AppDeps, 'site'>): number {
  return deps.site.store.approvals.pending(Date.now()).length;
}

// ---- facts shared with the dashboard ----------------------------------------------

export async function diskSpace(dir: string): Promise<{ freeBytes: number; totalBytes: number } | null> {
  try {
    const s = await statfs(dir);
    return { freeBytes: Number(s.bavail) * Number(s.bsize), totalBytes: Number(s.blocks) * Number(s.bsize) };
  } catch {
    return null;
  }
}

/** The smallest recording id created at or after `ms` (ids start with their time). */
function idFloor(ms: number): string {
  return newId(Math.max(0, Math.floor(ms))).slice(0, 10) + '0'.repeat(16);
}

/** Recordings archived since `ms` (keys only: cheap). */
export function recordingsSince(store: AppDeps['site']['store'], ms: number): number {
  let n = 0;
  for (const _ of store.recordings.getKeys({ start: idFloor(ms) })) n++;
  return n;
}

/** When the newest recording was archived, from the index (so CLI ingests count too). */
export function lastIngestAt(store: AppDeps['site']['store']): number | null {
  for (const { key, value } of store.recordings.getRange({ reverse: true, limit: 1 })) {
    return (value as RecordingRow | undefined)?.ingestedAt ?? idTime(key as string);
  }
  return null;
}

export interface Growth {
  /** archive bytes per day over the window, null when the window is too short to say */
  bytesPerDay: number | null;
  windowDays: number;
  bytes: number;
  /** days until free space (less the ingest reserve) runs out; null = not enough data or no growth */
  daysLeft: number | null;
}

const DAY = 86_400_000;

/**
 * Archive growth over the last 7 days (or since the archive was created, if later) and
 * what it means for the free space. Less than one day of history is "not enough data".
 */
export function estimateGrowth(o: { bytes: number; windowMs: number; freeBytes: number | null; reserveBytes: number }): Growth {
  const windowDays = o.windowMs / DAY;
  if (windowDays < 1) return { bytesPerDay: null, windowDays, bytes: o.bytes, daysLeft: null };
  const bytesPerDay = o.bytes / windowDays;
  const daysLeft = bytesPerDay > 0 && o.freeBytes !== null ? Math.max(0, (o.freeBytes - o.reserveBytes) / bytesPerDay) : null;
  return { bytesPerDay, windowDays, bytes: o.bytes, daysLeft };
}

let growthCache: { key: string; at: number; bytes: number; windowMs: number } | null = null;

/** Bytes archived over the last 7 days; recomputed at most once a minute (the poll is every 10 s). */
export function archiveGrowth(deps: Pick<AppDeps, 'site' | 'config'>, now = Date.now()): { bytes: number; windowMs: number } {
  const key = deps.config.dataDir;
  if (growthCache && growthCache.key === key && now - growthCache.at < 60_000) return growthCache;
  const created = Date.parse(deps.site.meta.createdAt);
  const since = Math.max(now - 7 * DAY, Number.isFinite(created) ? created : now);
  let bytes = 0;
  for (const { value } of deps.site.store.recordings.getRange({ start: idFloor(since) })) {
    bytes += (value as RecordingRow).storedBytes ?? 0;
  }
  growthCache = { key, at: now, bytes, windowMs: now - since };
  return growthCache;
}
