import { Hono } from 'hono';
import type { Site } from '../site/open.ts';
import type { QueueStats } from '../ingest/queue.ts';
import { listQuarantine } from '../ingest/quarantine.ts';
import { logApi } from './log-api.ts';
import type { IngestStatus } from '../service.ts';

export interface AppDeps {
  site: Site;
  ingestStatus(): IngestStatus;
  /** the proof API has no auth until the console's users exist: mount only on loopback */
  loopbackOnly: boolean;
}

/**
 * The HTTP face of the appliance. This first cut has health, metrics and the log's proof
 * API; the console (users, search, playback) mounts here as sub-apps.
 */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Content-Security-Policy', "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    c.header('X-Frame-Options', 'DENY');
  });

  app.get('/healthz', (c) => {
    const s = deps.ingestStatus();
    return c.json({ ok: s.scannerRunning, ingest: { queued: s.queue.queued, active: s.queue.active }, logSize: deps.site.log.size() });
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

  if (deps.loopbackOnly) app.route('/api/log', logApi(deps.site.log));

  app.get('/', (c) => c.text(
    `Tresor is running: ${deps.site.store.recordings.getCount()} recordings, ` +
    `${listQuarantine(deps.site.store).length} in quarantine, log size ${deps.site.log.size()}.\n` +
    'The web console arrives with the console issue; use scripts/tresor (list, show, extract, status) meanwhile.\n',
  ));
  return app;
}
