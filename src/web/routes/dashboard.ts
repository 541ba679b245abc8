import { Hono } from 'hono';
import { can } from '../../auth/index.ts';
import { TresorError } from '../../core/errors.ts';
import { listQuarantine } from '../../ingest/quarantine.ts';
import { pendingDiscards, requestDiscard } from '../../ingest/quarantine-discard.ts';
import { MAX_SIDECAR_BYTES } from '../../ingest/sidecar.ts';
import { pendingApprovals } from '../../approvals/index.ts';
import { daysSinceHandOut } from '../../audit/index.ts';
import { accessesPerDay, acknowledgeAlert, ACCESS_KINDS, alertsPerWeek, archivedPerDay, diskSeries, DUE_BUCKETS, openRequestsByDue, SEVERITIES } from '../../alerts/index.ts';
import { breachSummary } from './breaches.ts';
import { chartsPage, type ChartsData } from '../../../views/charts.ts';
import type { Principal } from '../../auth/index.ts';
import { dashboardPage, liveFragment, type AlertItem, type DashboardData, type LiveData, type QuarantineItem } from '../../../views/dashboard.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal, type Refusal } from '../errors.ts';
import { form, pageCtx } from '../page.ts';
import { requirePermission } from '../session.ts';
import { archiveGrowth, diskSpace, estimateGrowth, lastIngestAt, recordingsSince } from './health.ts';
import type { QuarantineRow } from '../../store/index.ts';

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

  /** issue 13: a checkpoint only binds the box when someone outside keeps a copy */
  function handOutReminder(now: number): Pick<LiveData, 'handOutOverdue'> {
    const limit = config.log.handOutDays;
    const days = daysSinceHandOut(store, now);
    if (limit === 0 || log.size() === 0 || (days !== null && days < limit)) return {};
    return { handOutOverdue: { days, limit } };
  }

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
      total: store.recordings.count(),
      disk,
      growth,
      checkpoint: cp ? { size: cp.size, until } : null,
      ...handOutReminder(now),
      logSize: log.size(),
      rejected: s.rejected.map((r) => ({ code: r.code, ref: r.ref, at: r.at })),
      deferred: s.deferred ?? [],
      quarantined: store.quarantine.count(),
      pendingApprovals: pendingApprovals(store, { now }).length,
    };
  }

  async function page(c: Ctx, extra: Pick<DashboardData, 'done' | 'error'> = {}, status: 200 | Refusal['status'] = 200) {
    const ctx = pageCtx(c);
    const p = c.get('principal')!;
    const rows = listQuarantine(store);
    const shown = rows.slice(0, SHOWN);
    const marks = pendingDiscards(store);
    const canSeePersonal = can(p.roles, 'recording.personal');
    // Numbers and names of quarantined calls only on request, for roles that may see
    // them, and logged before anything is decrypted (DESIGN §1); admins never get them.
    const showPersonal = canSeePersonal && c.req.query('quarantine') === 'personal' && shown.length > 0;
    if (showPersonal) {
      await log.append([{ actor: p.actor, action: 'quarantine.viewed', target: 'quarantine', detail: { ids: shown.map((q) => q.id) } }]);
    }
    const data: DashboardData = {
      live: await live(),
      quarantine: shown.map((q: QuarantineRow): QuarantineItem => ({
        id: q.id, code: q.code, message: q.message, quarantinedAt: q.quarantinedAt, sourceBytes: q.sourceBytes, attempts: q.attempts,
        call: q.call ?? null,
        personal: showPersonal ? personalOf(q.id) : null,
        discardRequestedBy: marks.get(q.id) ?? null,
      })),
      quarantineTotal: rows.length,
      canManage: can(p.roles, 'quarantine.manage'),
      canSeePersonal,
      showingPersonal: showPersonal,
      ...(deps.alerts ? { alerts: alertsOf(p.roles) } : {}),
      ...(can(p.roles, 'privacy.requests') ? { breaches: store.breaches.list('open').map((r) => breachSummary(r)).filter((b) => b.msLeft !== null) } : {}),
      ...extra,
    };
    return c.html(dashboardPage(ctx, data), status);
  }

  /** issue 14: the alert list; who an unusual-access alert is about only for those who judge it */
  function alertsOf(roles: Principal['roles']): NonNullable<DashboardData['alerts']> {
    const judge = can(roles, 'approvals.decide');
    const items = store.alerts.active().slice(0, SHOWN).map((a): AlertItem => ({
      id: a.id, rule: a.rule, severity: a.severity, state: a.state, raisedAt: a.raisedAt, subject: judge ? a.subject : null,
      detail: Object.entries(a.detail).map(([k, v]) => `${k} ${v}`).join(', '), acknowledgedBy: a.acknowledgedBy,
    }));
    const failedChannels = Object.entries(deps.alerts?.channelHealth() ?? {}).filter(([, h]) => !h.ok).map(([name, h]) => ({ name, error: h.error ?? 'failed' }));
    return { items, canAck: judge, failedChannels };
  }

  function personalOf(id: string): QuarantineItem['personal'] {
    try {
      const x = deps.quarantine.personal(id);
      return { from: x.call?.from ?? null, to: x.call?.to ?? null, agent: x.call?.agent ?? null, sourceName: x.sourceName };
    } catch {
      return null; // gone meanwhile
    }
  }

  app.get('/', requirePermission(log, 'system.view'), async (c) => {
    if (wantsFragment(c)) return c.html(liveFragment(pageCtx(c), await live()));
    return page(c, { done: c.req.query('done') });
  });

  /** issue 14 item 3: the charts (counts only; the same permission as the dashboard) */
  async function charts(days: 30 | 90, now = Date.now()): Promise<ChartsData> {
    const perDay = archivedPerDay(store, now, days);
    const disk = await diskSpace(config.dataDir);
    const g = archiveGrowth(deps, now);
    const reserve = config.ingest.minFreeMiB * 1024 * 1024;
    const growth = estimateGrowth({ bytes: g.bytes, windowMs: g.windowMs, freeBytes: disk?.freeBytes ?? null, reserveBytes: reserve });
    const ds = diskSeries(perDay, disk, reserve, growth.bytesPerDay);
    const acc = accessesPerDay(store, now, days);
    const dueBy = openRequestsByDue(store, now);
    const weeks = alertsPerWeek(store, now, days === 90 ? 13 : 8);
    const labels = perDay.buckets.map((b) => b.label);
    return {
      days,
      archived: { labels, calls: perDay.calls },
      disk: {
        labels, used: ds.used, totalBytes: ds.totalBytes, limitBytes: ds.limitBytes, bytesPerDay: ds.bytesPerDay, daysLeft: ds.daysLeft,
        fullOn: ds.daysLeft !== null ? new Date(now + ds.daysLeft * 86_400_000).toISOString().slice(0, 10) : null,
      },
      accesses: { labels: acc.buckets.map((b) => b.label), series: ACCESS_KINDS.map((k) => ({ key: k, values: acc.counts[k] })), partial: acc.partial, scanned: acc.scanned },
      requests: DUE_BUCKETS.map((k) => ({ key: k, n: dueBy[k] })),
      alerts: { labels: weeks.buckets.map((b) => b.label), series: SEVERITIES.map((k) => ({ key: k, values: weeks.counts[k] })) },
    };
  }

  // A chart is a look at days and weeks: recomputed at most once a minute, since at 1M
  // recordings and 10M log entries one computation reads about a million lines (scripts/bench-alerts.ts)
  const chartCache = new Map<number, { at: number; data: ChartsData }>();
  app.get('/charts', requirePermission(log, 'system.view'), async (c) => {
    const days = c.req.query('days') === '90' ? 90 : 30;
    const now = Date.now();
    let hit = chartCache.get(days);
    if (!hit || now - hit.at > 60_000 || now < hit.at) chartCache.set(days, (hit = { at: now, data: await charts(days, now) }));
    return c.html(chartsPage(pageCtx(c), hit.data));
  });

  app.post('/alerts/:id/ack', requirePermission(log, 'approvals.decide'), async (c) => {
    const p = c.get('principal')!;
    try {
      await acknowledgeAlert(store, log, c.req.param('id'), p.actor);
    } catch (e) {
      return failed(c, e);
    }
    return c.redirect('/?done=alert-ack', 303);
  });

  const failed = (c: Ctx, e: unknown) => {
    // the dashboard comes back with the refusal, at the status of its code (src/web/errors.ts)
    const r = refusal(e, c.get('lang'));
    if (!r) throw e;
    return page(c, { error: r.message }, r.status);
  };

  app.post('/quarantine/:id/retry', requirePermission(log, 'quarantine.manage'), async (c) => {
    const p = c.get('principal')!;
    const f = await form(c);
    // a corrected sidecar typed or pasted into the form replaces the stored one for this try
    const text = (f.sidecar ?? '').trim();
    if (Buffer.byteLength(text) > MAX_SIDECAR_BYTES) return page(c, { error: `the sidecar is longer than ${MAX_SIDECAR_BYTES} bytes` }, 400);
    try {
      const r = await deps.quarantine.retry(p.actor, c.req.param('id'), text ? Buffer.from(text, 'utf8') : null);
      return c.redirect(`/?done=retry-${r.outcome}`, 303);
    } catch (e) {
      return failed(c, e);
    }
  });

  // A selection (checkboxes) in one request: one four-eyes decision for the whole set
  // instead of one per file (8 files took 8 rounds, issue 9).
  app.post('/quarantine/discard', requirePermission(log, 'quarantine.manage'), async (c) => {
    const p = c.get('principal')!;
    const body = await c.req.parseBody({ all: true });
    const raw = body.ids;
    const asked = [...new Set((Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string'))];
    const reason = typeof body.reason === 'string' ? body.reason : '';
    if (asked.length === 0) return page(c, { error: 'select the files to discard' }, 400);
    const missing = asked.filter((id) => !store.quarantine.has(id));
    if (missing.length) return page(c, { error: `no quarantined file ${missing.join(', ')}` }, 404);
    const marks = pendingDiscards(store);
    const ids = asked.filter((id) => !marks.has(id)).sort();
    if (ids.length === 0) return page(c, { error: 'every selected file already waits for a discard decision' }, 409);
    try {
      await requestDiscard(store, log, { ids, by: p.actor, person: p.name, reason });
    } catch (e) {
      return failed(c, e);
    }
    return c.redirect('/?done=discard-requested', 303);
  });

  app.post('/quarantine/:id/discard', requirePermission(log, 'quarantine.manage'), async (c) => {
    const p = c.get('principal')!;
    const id = c.req.param('id');
    const f = await form(c);
    if (!store.quarantine.has(id)) return page(c, { error: `no quarantined file ${id}` }, 404);
    try {
      await requestDiscard(store, log, { ids: [id], by: p.actor, person: p.name, reason: f.reason ?? '', single: true });
    } catch (e) {
      return failed(c, e);
    }
    return c.redirect('/?done=discard-requested', 303);
  });

  return app;
}

