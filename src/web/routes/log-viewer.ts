import { Hono } from 'hono';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { exportAudit, toHex, verifierDigests, verifierFiles, VERIFIER_FILES, type VerifierFile } from '../../audit/index.ts';
import { searchLog, type LogQuery } from '../../audit/index.ts';
import { isId } from '../../core/ids.ts';
import { parseDateBound } from '../../core/dates.ts';
import { emptyFilters, logPage, logResults, type LogFilters, type LogResults, type VerifyOutcome } from '../../../views/log.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal } from '../errors.ts';
import { pageCtx } from '../page.ts';
import { requirePermission } from '../session.ts';
import { handOutCheckpoint, handOutPdf, handOutSvg, tarStream } from '../../audit/index.ts';
import { wantsFragment } from './dashboard.ts';

/** A date field through the one date parser (core/dates.ts); one that is not a date filters nothing. */
function bound(s: string, b: 'start' | 'end'): number | undefined {
  if (!s) return undefined;
  try {
    return parseDateBound(s, b, b === 'start' ? 'from' : 'to');
  } catch {
    return undefined;
  }
}

export function filtersOf(c: Ctx): { filters: LogFilters; query: LogQuery } {
  const get = (k: string) => (c.req.query(k) ?? '').trim().slice(0, 300);
  const filters: LogFilters = { actor: get('actor'), action: get('action'), target: get('target'), from: get('from'), to: get('to') };
  // A bare name is a console user; a bare id is most likely a recording.
  const actor = filters.actor && !filters.actor.includes(':') ? `user:${filters.actor.toLowerCase()}` : filters.actor;
  const target = filters.target && isId(filters.target) ? `recording:${filters.target}` : filters.target;
  const to = bound(filters.to, 'end');
  const before = /^\d+$/.test(get('before')) ? Number(get('before')) : undefined;
  return {
    filters,
    query: {
      actor: actor || undefined, action: filters.action || undefined, target: target || undefined,
      // `to` is exclusive here: the first millisecond after the day (a DST day has 23 or 25 hours)
      from: bound(filters.from, 'start'), to: to === undefined ? undefined : to + 1, before,
    },
  };
}

/** /log: the access log for DPOs and auditors: filters, verify, auditor export, the verifier to keep. */
export function logViewerRoutes(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  const { site, config } = deps;
  const { log, store } = site;
  const guard = requirePermission(log, 'log.read');

  const results = (c: Ctx): LogResults => {
    const { filters, query } = filtersOf(c);
    try {
      return { filters, ...searchLog(log, store, query) };
    } catch (e) {
      // a refused filter shows where the entries would; a defect goes to the error handler
      const r = refusal(e, c.get('lang'));
      if (!r) throw e;
      return { filters, entries: [], next: null, partial: false, error: r.message };
    }
  };

  app.get('/', guard, (c) => {
    const r = results(c);
    if (wantsFragment(c)) return c.html(logResults(pageCtx(c), r));
    return c.html(logPage(pageCtx(c), { results: r, size: log.size(), verifier: verifierDigests() }));
  });

  // The verifier on its own, to save once and reuse (issue 16 #8): an export's copy comes
  // from this box, which is what the auditor checks. Code, no personal data: not logged.
  app.get('/verifier/:file', guard, (c) => {
    const name = c.req.param('file') as VerifierFile;
    if (!VERIFIER_FILES.includes(name)) return c.notFound();
    return c.body(verifierFiles()[name], 200, {
      // a download, never a page of this origin: verify.html needs inline script, which our CSP forbids anyway
      'Content-Type': name === 'verify.mjs' ? 'text/javascript; charset=utf-8' : 'application/octet-stream',
      'Content-Disposition': `attachment; filename="${name}"`,
      'Cache-Control': 'no-store',
    });
  });

  app.post('/verify', guard, async (c) => {
    const p = c.get('principal')!;
    const report = await log.verifyAll();
    let root = '';
    try {
      root = toHex(log.rootHash(report.size));
    } catch (e) {
      root = `(${(e as Error).message})`;
    }
    const v: VerifyOutcome = { ok: report.ok, size: report.size, checkpoints: report.checkpoints, root, problems: report.problems };
    await log.append([{ actor: p.actor, action: 'audit.verified', target: 'log', detail: { ok: report.ok, size: report.size, problems: report.problems.length } }]);
    const results: LogResults = { filters: emptyFilters(), ...searchLog(log, store, {}) };
    return c.html(logPage(pageCtx(c), { results, size: log.size(), verify: v, verifier: verifierDigests() }), report.ok ? 200 : 409);
  });

  // The checkpoint to hand out (issue 13): whoever keeps a copy outside the box can later
  // ask for a consistency proof. Logged and remembered for the dashboard's reminder.
  const handOut = (ext: 'pdf' | 'svg' | 'txt') => async (c: Ctx) => {
    const p = c.get('principal')!;
    const h = await handOutCheckpoint({ log, store }, p.actor, ext === 'txt' ? 'text' : ext);
    const name = `tresor-checkpoint-${h.size}.${ext}`;
    const headers = { 'Content-Disposition': `attachment; filename="${name}"`, 'Cache-Control': 'no-store' };
    if (ext === 'pdf') return c.body(Buffer.from(await handOutPdf(h, pageCtx(c).lang === 'de' ? 'de' : 'en')), 200, { ...headers, 'Content-Type': 'application/pdf' });
    // served as a download, never rendered as a page of this origin
    if (ext === 'svg') return c.body(handOutSvg(h), 200, { ...headers, 'Content-Type': 'application/octet-stream' });
    return c.body(h.note, 200, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
  };
  for (const ext of ['pdf', 'svg', 'txt'] as const) app.get(`/checkpoint.${ext}`, guard, handOut(ext));

  app.get('/export.tar', guard, async (c) => {
    const p = c.get('principal')!;
    const tmpRoot = join(config.dataDir, 'tmp');
    await mkdir(tmpRoot, { recursive: true, mode: 0o700 });
    const tmp = await mkdtemp(join(tmpRoot, 'export-'));
    const cleanup = () => rm(tmp, { recursive: true, force: true });
    let summary;
    try {
      summary = await exportAudit(log, join(tmp, 'export'));
      await log.append([{
        actor: p.actor, action: 'audit.exported', target: 'log',
        detail: { via: 'console', start: summary.start, size: summary.size, root: summary.root },
      }]);
    } catch (e) {
      await cleanup();
      throw e;
    }
    const top = `tresor-audit-${summary.size}`;
    return c.body(tarStream(summary.dir, summary.files, top, cleanup), 200, {
      'Content-Type': 'application/x-tar',
      'Content-Disposition': `attachment; filename="${top}.tar"`,
      'Cache-Control': 'no-store',
    });
  });

  return app;
}
