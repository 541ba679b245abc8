import { Hono } from 'hono';
import { statfs } from 'node:fs/promises';
import { idTime, newId } from '../../core/ids.ts';
import { listQuarantine } from '../../ingest/quarantine.ts';
import type { AppDeps } from '../app.ts';
import { RULE_NAMES } from '../../alerts/index.ts';
import type { WebEnv } from '../env.ts';

/**
 * /healthz (no auth: load balancers and systemd watchdogs) and /metrics (Prometheus
 * text). Both carry counts only, never ids, names or numbers.
 */
export function healthRoutes(deps: Pick<AppDeps, 'site' | 'ingestStatus' | 'config' | 'alerts'>) {
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
      ...gauge('tresor_recordings', 'Recordings in the archive.', store.recordings.count()),
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
      ...alertMetrics(deps),
      '',
    ];
    return c.text(lines.join('\n'), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
  return app;
}

/**
 * Issue 14 item 5: the alert states and the rules' inputs, counts only, so a site's
 * Prometheus/Grafana sees what the dashboard sees (never an actor, witness name or number).
 */
function alertMetrics(deps: Pick<AppDeps, 'site' | 'alerts'>): string[] {
  const active = deps.site.store.alerts.active();
  const out = ['# HELP tresor_alerts_active Alerts raised and not cleared, by rule, severity and state.', '# TYPE tresor_alerts_active gauge'];
  for (const rule of RULE_NAMES) {
    for (const state of ['open', 'acknowledged'] as const) {
      out.push(`tresor_alerts_active{rule="${rule}",state="${state}"} ${active.filter((a) => a.rule === rule && a.state === state).length}`);
    }
  }
  const i = deps.alerts?.lastInputs();
  if (i) {
    const g = (name: string, help: string, v: number) => [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${v}`];
    const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
    out.push(
      ...g('tresor_alert_input_requests_open', 'Open data-subject requests.', i.openRequestDueAt.length),
      ...g('tresor_alert_input_requests_overdue', 'Open data-subject requests past their Art. 12(3) deadline.', i.openRequestDueAt.filter((d) => d < i.now).length),
      ...g('tresor_alert_input_quarantined_last_hour', 'Files quarantined in the last hour.', i.quarantinedLastHour),
      ...g('tresor_alert_input_failed_sign_ins_last_hour', 'Failed sign-ins in the last hour.', i.failedSignInsLastHour),
      ...g('tresor_alert_input_max_plays_per_user_hour', 'Most calls one user or token opened in the last hour.', max(i.access.map((a) => a.plays))),
      ...g('tresor_alert_input_max_numbers_per_user_hour', 'Most distinct numbers one user or token searched in the last hour.', max(i.access.map((a) => a.numbers))),
      ...g('tresor_alert_input_witnesses_unreachable', 'Witnesses that could not be reached.', i.witnesses.filter((w) => w.unreachable).length),
      ...g('tresor_alert_input_witnesses_refusing', 'Witnesses that refused a checkpoint (a fork or rollback alarm).', i.witnesses.filter((w) => w.refusing).length),
      ...(i.diskDaysLeft !== null ? g('tresor_alert_input_disk_days_left', 'Days until the data disk is full at the recent growth.', Math.floor(i.diskDaysLeft)) : []),
      ...(i.oldestWaitingSince !== null ? g('tresor_alert_input_oldest_waiting_seconds', 'How long the oldest file has waited in the inbox.', Math.round((i.now - i.oldestWaitingSince) / 1000)) : []),
    );
  }
  const health = deps.alerts?.channelHealth() ?? {};
  if (Object.keys(health).length) {
    out.push('# HELP tresor_alert_channel_ok Whether the last delivery over each alert channel worked (1) or failed (0).', '# TYPE tresor_alert_channel_ok gauge');
    for (const [name, h] of Object.entries(health)) out.push(`tresor_alert_channel_ok{channel="${name}"} ${h.ok ? 1 : 0}`);
  }
  return out;
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
  for (const _ of store.recordings.ids({ fromId: idFloor(ms) })) n++;
  return n;
}

/** When the newest recording was archived, from the index (so CLI ingests count too). */
export function lastIngestAt(store: AppDeps['site']['store']): number | null {
  // rows written by old benchmarks may lack ingestedAt: the id says when
  for (const row of store.recordings.rows({ reverse: true, limit: 1 })) return row.ingestedAt ?? idTime(row.id);
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
  for (const row of deps.site.store.recordings.rows({ fromId: idFloor(since) })) bytes += row.storedBytes ?? 0;
  growthCache = { key, at: now, bytes, windowMs: now - since };
  return growthCache;
}
