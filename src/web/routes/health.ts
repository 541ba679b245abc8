import { Hono } from 'hono';
import { listQuarantine } from '../../ingest/quarantine.ts';
import type { AppDeps } from '../app.ts';
import type { WebEnv } from '../env.ts';

/**
 * /healthz (no auth: load balancers and systemd watchdogs) and /metrics (Prometheus
 * text). Both carry counts only, never ids, names or numbers.
 */
export function healthRoutes(deps: Pick<AppDeps, 'site' | 'ingestStatus'>) {
  const app = new Hono<WebEnv>();
  app.get('/healthz', (c) => {
    const s = deps.ingestStatus();
    return c.json({ ok: s.scannerRunning, ingest: { queued: s.queue.queued, active: s.queue.active }, logSize: deps.site.log.size() }, s.scannerRunning ? 200 : 503);
  });

  app.get('/metrics', (c) => {
    const s = deps.ingestStatus();
    const q = s.queue;
    const lines = [
      '# HELP tresor_recordings Recordings in the archive.',
      '# TYPE tresor_recordings gauge',
      `tresor_recordings ${deps.site.store.recordings.getCount()}`,
      '# HELP tresor_quarantined Files in quarantine.',
      '# TYPE tresor_quarantined gauge',
      `tresor_quarantined ${listQuarantine(deps.site.store).length}`,
      '# HELP tresor_ingest_queued Files waiting for ingest.',
      '# TYPE tresor_ingest_queued gauge',
      `tresor_ingest_queued ${q.queued}`,
      '# HELP tresor_ingest_active Files being ingested.',
      '# TYPE tresor_ingest_active gauge',
      `tresor_ingest_active ${q.active}`,
      '# HELP tresor_ingest_outcomes_total Ingest outcomes since start.',
      '# TYPE tresor_ingest_outcomes_total counter',
      ...Object.entries(q.done).map(([k, v]) => `tresor_ingest_outcomes_total{outcome="${k}"} ${v}`),
      '# HELP tresor_log_entries Entries in the access log.',
      '# TYPE tresor_log_entries gauge',
      `tresor_log_entries ${deps.site.log.size()}`,
      '',
    ];
    return c.text(lines.join('\n'), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });
  return app;
}
