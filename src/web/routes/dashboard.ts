import { Hono } from 'hono';
import { can } from '../../auth/index.ts';
import { TresorError, isTresorError } from '../../core/errors.ts';
import { createIngest } from '../../ingest/pipeline.ts';
import { listQuarantine, retryQuarantined, type QuarantineRow } from '../../ingest/quarantine.ts';
import { pendingApprovals, requestApproval } from '../../retention/index.ts';
import { dashboardPage, liveFragment, type DashboardData, type LiveData } from '../../../views/dashboard.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { form, pageCtx } from '../page.ts';
import { requirePermission } from '../session.ts';
import { archiveGrowth, diskSpace, estimateGrowth, lastIngestAt, recordingsSince } from './health.ts';
import { countRecordings } from '../../index/index.ts';

export const DISCARD_KIND = 'quarantine.discard';
const SHOWN = 200;

/** htmx asks for the fragment; a history restore asks for the whole page. */
export const wantsFragment = (c: Ctx) => c.req.header('HX-Request') === 'true' && c.req.header('HX-History-Restore-Request') !== 'true';

/**
 * The start page: ingest, disk, log and quarantine at a glance (polled every 10 s), and
 * the quarantine actions: retry (one person) and discard (four-eyes, via /approvals).
 */
export function dashboardRoutes(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  const { site, config } = deps;
  const { store, log } = site;

  async function live(): Promise<LiveData> {
    const s = deps.ingestStatus();
    const now = Date.now();
    const disk = await diskSpace(config.dataDir);
    const g = archiveGrowth(deps, now);
    const growth = estimateGrowth({ bytes: g.bytes, windowMs: g.windowMs, freeBytes: disk?.freeBytes ?? null, reserveBytes: config.ingest.minFreeMiB * 1024 * 1024 });
    const cp = log.latestCheckpoint();
    let until: string | null = null;
    if (cp && cp.size > 0) {
      try {
        until = log.entries(cp.size - 1, cp.size)[0]?.time ?? null;
      } catch { /* an unreadable entry: the log viewer's Verify says more */ }
    }
    return {
      scannerRunning: s.scannerRunning,
      queued: s.queue.queued,
      active: s.queue.active,
      lastHour: recordingsSince(store, now - 3600_000),
      lastDay: recordingsSince(store, now - 86_400_000),
      lastIngestAt: lastIngestAt(store),
      total: countRecordings(store),
      disk,
      growth,
      checkpoint: cp ? { size: cp.size, until } : null,
      logSize: log.size(),
      rejected: s.rejected.map((r) => ({ code: r.code, at: r.at })),
      quarantined: store.quarantine.getCount(),
      pendingApprovals: pendingApprovals(store, { now }).length,
    };
  }

  async function page(c: Ctx, extra: Pick<DashboardData, 'done' | 'error'> = {}, status: 200 | 400 | 403 | 404 | 409 = 200) {
    const ctx = pageCtx(c);
    const p = c.get('principal')!;
    const rows = listQuarantine(store);
    const pendingDiscards = new Map(pendingApprovals(store).filter((a) => a.kind === DISCARD_KIND).map((a) => [a.target, a.requestedBy]));
    const data: DashboardData = {
      live: await live(),
      quarantine: rows.slice(0, SHOWN).map((q: QuarantineRow) => ({
        id: q.id, code: q.code, message: q.message, quarantinedAt: q.quarantinedAt, sourceBytes: q.sourceBytes, attempts: q.attempts,
        discardRequestedBy: pendingDiscards.get(`quarantine:${q.id}`) ?? null,
      })),
      quarantineTotal: rows.length,
      canManage: can(p.roles, 'quarantine.manage'),
      ...extra,
    };
    return c.html(dashboardPage(ctx, data), status);
  }

  app.get('/', requirePermission(log, 'system.view'), async (c) => {
    if (wantsFragment(c)) return c.html(liveFragment(pageCtx(c), await live()));
    return page(c, { done: c.req.query('done') });
  });

  const retryWith = (actor: string) => {
    if (!deps.media) throw new TresorError('E_FFMPEG_MISSING', 'retry needs ffmpeg, which this console was started without');
    const ingest = createIngest({
      config: { ...config, ingest: { ...config.ingest, disposition: 'delete' } },
      store, keys: site.keys, archive: deps.archive, log, media: deps.media, actor,
    });
    return (id: string) => retryQuarantined({ dataDir: config.dataDir, store, keys: site.keys, log, actor, ingestFile: ingest.ingestFile }, id);
  };

  const failed = (c: Ctx, e: unknown) => {
    if (isTresorError(e, 'E_NOT_FOUND')) return page(c, { error: e.message }, 404);
    if (isTresorError(e, 'E_USAGE')) return page(c, { error: e.message }, 409);
    if (isTresorError(e, 'E_FFMPEG_MISSING')) return page(c, { error: e.message }, 409);
    throw e;
  };

  app.post('/quarantine/:id/retry', requirePermission(log, 'quarantine.manage'), async (c) => {
    const p = c.get('principal')!;
    try {
      const r = await retryWith(p.actor)(c.req.param('id'));
      return c.redirect(`/?done=retry-${r.outcome}`, 303);
    } catch (e) {
      return failed(c, e);
    }
  });

  app.post('/quarantine/:id/discard', requirePermission(log, 'quarantine.manage'), async (c) => {
    const p = c.get('principal')!;
    const id = c.req.param('id');
    const f = await form(c);
    if (!store.quarantine.get(id)) return page(c, { error: `no quarantined file ${id}` }, 404);
    try {
      await requestApproval(store, log, {
        kind: DISCARD_KIND, target: `quarantine:${id}`, by: p.actor, person: p.name, reason: f.reason ?? '', payload: { quarantineId: id },
      });
    } catch (e) {
      if (isTresorError(e, 'E_USAGE')) return page(c, { error: e.message }, 400);
      throw e;
    }
    return c.redirect('/?done=discard-requested', 303);
  });

  return app;
}
