import { Hono } from 'hono';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { exportAudit, toHex, verifierDigests, verifierFiles, VERIFIER_FILES, type AuditLog, type LogEntry, type VerifierFile } from '../../audit/index.ts';
import { isId } from '../../core/ids.ts';
import { parseDateBound } from '../../core/dates.ts';
import { emptyFilters, logPage, logResults, type LogFilters, type LogResults, type ShownEntry, type VerifyOutcome } from '../../../views/log.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal } from '../errors.ts';
import { pageCtx } from '../page.ts';
import { requirePermission } from '../session.ts';
import { tarStream } from '../../audit/index.ts';
import { wantsFragment } from './dashboard.ts';

const PAGE = 50;
/** entries looked at per request when the filters are not indexed (actor/target are) */
const SCAN_BUDGET = 20_000;
const CHUNK = 500;

export interface LogQuery {
  actor?: string;
  action?: string;
  target?: string;
  /** ms, inclusive */
  from?: number;
  /** ms, exclusive */
  to?: number;
  /** only entries with seq below this */
  before?: number;
}

export interface LogPage {
  entries: ShownEntry[];
  next: number | null;
  partial: boolean;
}

function parse(seq: number, line: string | undefined): ShownEntry {
  if (line === undefined) return { seq, unreadable: true };
  try {
    const e = JSON.parse(line) as LogEntry;
    if (typeof e.time !== 'string' || typeof e.action !== 'string') return { seq, unreadable: true };
    return { seq, time: e.time, actor: e.actor, action: e.action, target: e.target, detail: e.detail ?? {} };
  } catch {
    return { seq, unreadable: true };
  }
}

function matches(e: ShownEntry, q: LogQuery): boolean {
  if ('unreadable' in e) return !q.actor && !q.action && !q.target && q.from === undefined && q.to === undefined;
  if (q.actor && e.actor !== q.actor) return false;
  if (q.target && e.target !== q.target) return false;
  if (q.action && e.action !== q.action && !e.action.startsWith(`${q.action}.`)) return false;
  const ms = Date.parse(e.time);
  if (q.from !== undefined && ms < q.from) return false;
  if (q.to !== undefined && ms >= q.to) return false;
  return true;
}

const timeOf = (line: string | undefined): number => {
  const m = line ? /"time":"([^"]+)"/.exec(line) : null;
  return m ? Date.parse(m[1]!) : NaN;
};

/**
 * Newest first. Actor and target filters go through the log's index (`about`); otherwise
 * the log is read backwards from the cursor (or from the end of the "until" day, found
 * by binary search on the append-ordered times) for at most SCAN_BUDGET entries.
 */
export function searchLog(log: AuditLog, store: AppDeps['site']['store'], q: LogQuery): LogPage {
  const size = log.size();
  let cursor = Math.min(q.before ?? size, size);
  const out: ShownEntry[] = [];
  let examined = 0;

  if (q.target || q.actor) {
    const [kind, value] = q.target ? ['target', q.target] as const : ['actor', q.actor!] as const;
    while (out.length <= PAGE && examined < SCAN_BUDGET) {
      const batch = log.about(kind, value, 200, cursor);
      for (const e of batch) {
        examined++;
        cursor = e.seq;
        const shown: ShownEntry = { seq: e.seq, time: e.time, actor: e.actor, action: e.action, target: e.target, detail: e.detail };
        if (q.from !== undefined && Date.parse(e.time) < q.from) return finish(out, null, false);
        if (matches(shown, q)) out.push(shown);
        if (out.length > PAGE) break;
      }
      if (batch.length < 200) return finish(out, null, false);
    }
    return finish(out, cursor, out.length <= PAGE);
  }

  if (q.to !== undefined) {
    // first seq whose time is ≥ to: everything before it is older
    let lo = 0;
    let hi = cursor;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const t = timeOf(store.log.line(mid));
      if (t < q.to) lo = mid + 1;
      else hi = mid;
    }
    cursor = lo;
  }
  while (cursor > 0 && out.length <= PAGE && examined < SCAN_BUDGET) {
    const start = Math.max(0, cursor - CHUNK);
    const rows = [...store.log.range(start, cursor)];
    for (let i = rows.length - 1; i >= 0; i--) {
      const { key: seq, value } = rows[i]!;
      examined++;
      cursor = seq;
      const e = parse(seq, value);
      if (q.from !== undefined && !('unreadable' in e) && Date.parse(e.time) < q.from) return finish(out, null, false);
      if (matches(e, q)) out.push(e);
      if (out.length > PAGE) break;
    }
    if (rows.length === 0) cursor = start;
  }
  return finish(out, cursor > 0 ? cursor : null, out.length <= PAGE && cursor > 0);
}

function finish(out: ShownEntry[], cursor: number | null, partial: boolean): LogPage {
  if (out.length > PAGE) return { entries: out.slice(0, PAGE), next: out[PAGE - 1]!.seq, partial: false };
  return { entries: out, next: partial ? cursor : null, partial };
}

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
      const r = refusal(e);
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
