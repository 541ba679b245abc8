import { Hono } from 'hono';
import { readFile } from 'node:fs/promises';
import { can } from '../../auth/index.ts';
import { searchesPersonalData } from '../../retention/holds.ts';
import { isTresorError, TresorError } from '../../core/errors.ts';
import { isId } from '../../core/ids.ts';
import { activeHolds } from '../../retention/holds.ts';
import { listPolicies, POLICY_CHANGE_KIND, policyImpact, savePolicy } from '../../retention/policies.ts';
import type { Policy } from '../../policy/index.ts';
import { MIN_GRACE_DAYS, requestPolicyChange } from '../../retention/policy-change.ts';
import { pendingApprovals } from '../../approvals/index.ts';
import { planPurge, type PurgeDeps } from '../../retention/purge.ts';
import type { PurgeRunRow } from '../../store/index.ts';
import { purgeWithGuards } from '../../retention/run.ts';
import { clockHold, confirmClock } from '../../retention/clock-guard.ts';
import {
  draftOf, dryRunPage, retentionPage, runPage, type PolicyChangeView, type PolicyDraft, type RetentionData, type RunReport,
} from '../../../views/retention.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal, type Refusal } from '../errors.ts';
import { form, pageCtx } from '../page.ts';
import { requirePermission } from '../session.ts';

const RECENT_RUNS = 20;

/** The grace field: empty = none (four-eyes only); anything else must be whole days (checked by requestPolicyChange). */
const graceOf = (s: string | undefined): number | undefined => (s && s.trim() ? Number(s.trim()) : undefined);

export function recentRuns(deps: Pick<PurgeDeps, 'store'>, n = RECENT_RUNS): PurgeRunRow[] {
  return deps.store.purgeRuns.latest(n);
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** Form fields → a policy for validatePolicy (which names what is wrong). */
function policyOf(f: PolicyDraft): Policy {
  const match: Record<string, string[]> = {};
  for (const k of ['queue', 'direction', 'purpose', 'tags', 'consent'] as const) {
    const v = list(f[k]);
    if (v.length) match[k] = v;
  }
  return { name: f.name.trim(), keep: f.keep.trim().toUpperCase(), match, lock: f.lock };
}

/**
 * /retention (`retention.manage`): policies (add, change, remove; a locked policy's
 * refusal comes back as 400 with the reason and changes nothing), the dry run, running the
 * purge, its runs, and their deletion reports (also for `log.read`: auditors check them).
 */
export function retentionRoutes(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  const { store, log } = deps.site;
  const purgeDeps: PurgeDeps = { store, log, dataDir: deps.config.dataDir };
  const manage = requirePermission(log, 'retention.manage');
  let purging = false;

  const page = (c: Ctx, extra: Partial<RetentionData> = {}, status: 200 | Refusal['status'] = 200) => {
    const policies = listPolicies(store).sort((a, b) => a.name.localeCompare(b.name));
    const changes = pendingApprovals(store).filter((a) => a.kind === POLICY_CHANGE_KIND);
    return c.html(retentionPage(pageCtx(c), { policies, runs: recentRuns(purgeDeps), clockHold: clockHold(store), pendingChanges: changes, ...extra }), status);
  };

  /** The dry run of a change that needs a second person, for the confirmation step. */
  const changeOf = (c: Ctx, name: string, next: Policy | null): PolicyChangeView => {
    const impact = policyImpact(store, name, next);
    const search = can(c.get('principal')!.roles, 'recording.search');
    return {
      name, remove: next === null, earlier: impact.earlier.length, dueNow: impact.dueNow, minGraceDays: MIN_GRACE_DAYS,
      calls: impact.earlier.slice(0, 200).map((e) => (search ? e : { ...e, start: null, durationMs: null, queue: null })),
    };
  };

  app.get('/', manage, (c) => {
    const edit = c.req.query('edit');
    const row = edit ? store.policies.get(edit) : undefined;
    if (edit && !row) return page(c, { error: `no policy "${edit}"` }, 404);
    return page(c, { done: c.req.query('done'), ...(row ? { draft: draftOf(row), editing: true } : {}) });
  });

  app.post('/policies', manage, async (c) => {
    const f = await form(c);
    const draft: PolicyDraft = {
      name: f.name ?? '', keep: f.keep ?? '', queue: f.queue ?? '', direction: f.direction ?? '', purpose: f.purpose ?? '',
      tags: f.tags ?? '', consent: f.consent ?? '', lock: f.lock === '1' || f.lock === 'on',
    };
    const editing = !!store.policies.get(draft.name.trim());
    const p = c.get('principal')!;
    try {
      const policy = policyOf(draft);
      // second step: the dry run was shown, the admin asks for approval (or a grace period)
      if (f.request === '1') {
        await requestPolicyChange(store, log, p.actor, { name: policy.name, next: policy, reason: f.reason ?? '', person: p.name, graceDays: graceOf(f.graceDays) });
        return c.redirect('/retention?done=change-requested', 303);
      }
      await savePolicy(store, log, p.actor, policy.name, policy);
    } catch (e) {
      // brings deletion forward: the dry run, and the form to ask a second person
      if (isTresorError(e, 'E_NEEDS_APPROVAL')) return page(c, { draft, editing, change: changeOf(c, draft.name.trim(), policyOf(draft)) }, 409);
      const r = refusal(e, c.get('lang'));
      if (!r) throw e;
      if (f.request === '1') return page(c, { draft, editing, change: { ...changeOf(c, draft.name.trim(), policyOf(draft)), error: r.message } }, r.status);
      return page(c, { draft, editing, error: r.message, errorAt: 'policy' }, r.status);
    }
    return c.redirect('/retention?done=saved', 303);
  });

  app.post('/policies/:name/remove', manage, async (c) => {
    const name = c.req.param('name');
    const f = await form(c);
    const p = c.get('principal')!;
    try {
      if (f.request === '1') {
        await requestPolicyChange(store, log, p.actor, { name, next: null, reason: f.reason ?? '', person: p.name, graceDays: graceOf(f.graceDays) });
        return c.redirect('/retention?done=change-requested', 303);
      }
      await savePolicy(store, log, p.actor, name, null);
    } catch (e) {
      if (isTresorError(e, 'E_NEEDS_APPROVAL')) return page(c, { change: changeOf(c, name, null) }, 409);
      const r = refusal(e, c.get('lang'));
      if (!r) throw e;
      return page(c, { error: r.message }, r.status);
    }
    return c.redirect('/retention?done=removed', 303);
  });

  app.get('/dry-run', manage, (c) => {
    const holds = activeHolds(store);
    const plan = planPurge(store, Date.now(), holds);
    const names: Record<string, string> = {};
    const roles = c.get('principal')!.roles;
    if (can(roles, 'holds.manage')) for (const h of holds) names[h.id] = h.caseName;
    // a masked viewer learns how many calls holds by number or agent keep, not which
    if (can(roles, 'recording.personal')) return c.html(dryRunPage(pageCtx(c), plan, names));
    const personal = new Set(holds.filter(searchesPersonalData).map((h) => h.id));
    const held = plan.held.filter((i) => !personal.has(i.hold));
    return c.html(dryRunPage(pageCtx(c), { ...plan, held }, names, plan.held.length - held.length));
  });

  app.post('/purge', manage, async (c) => {
    if (purging) return page(c, { error: 'a purge is running right now; see the runs below when it is done' }, 409);
    purging = true;
    let r;
    try {
      // the clock guard first (src/retention/run.ts): a clock that jumped must not purge years early
      r = await purgeWithGuards(purgeDeps, { by: c.get('principal')!.actor, now: Date.now(), maxJumpMs: deps.config.retention.maxClockJumpHours * 3600_000 });
    } finally {
      purging = false;
    }
    if (r.kind !== 'done') return page(c, { error: r.kind === 'held' ? r.hold.reason : 'nothing was run' }, 409);
    return c.redirect(`/retention/runs/${r.result.run.id}`, 303);
  });

  app.post('/clock/confirm', manage, async (c) => {
    await confirmClock(store, log, c.get('principal')!.actor, Date.now()); // also gives waiting calls their expiry
    return c.redirect('/retention?done=clock', 303);
  });

  const runOf = (id: string): PurgeRunRow => {
    const run = isId(id) ? store.purgeRuns.get(id) : undefined;
    if (!run) throw new TresorError('E_NOT_FOUND', `no purge run ${id}`);
    return run;
  };

  app.get('/runs/:id', manage, async (c) => {
    const run = runOf(c.req.param('id'));
    let report: RunReport | null = null;
    if (run.report) {
      try {
        report = JSON.parse(await readFile(run.report.json, 'utf8')) as RunReport;
      } catch {
        report = null;
      }
    }
    return c.html(runPage(pageCtx(c), run, report));
  });

  // Reports carry no personal data (ids, times, policies): auditors fetch them too.
  app.get('/reports/:file', requirePermission(log, ['retention.manage', 'log.read']), async (c) => {
    const m = /^([0-9A-Z]{26})\.(json|csv)$/.exec(c.req.param('file'));
    if (!m) throw new TresorError('E_NOT_FOUND', `no report ${c.req.param('file')}`);
    const run = runOf(m[1]!);
    if (!run.report) throw new TresorError('E_NOT_FOUND', `purge run ${run.id} has no report`);
    const ext = m[2] as 'json' | 'csv';
    let body: Buffer;
    try {
      body = await readFile(ext === 'json' ? run.report.json : run.report.csv);
    } catch {
      throw new TresorError('E_NOT_FOUND', `the report file of purge run ${run.id} is missing`);
    }
    return new Response(body as unknown as BodyInit, {
      headers: {
        'Content-Type': ext === 'json' ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="purge-${run.id}.${ext}"`,
        'Content-Length': String(body.length),
        'Cache-Control': 'no-store, private',
      },
    });
  });

  return app;
}
