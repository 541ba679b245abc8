import { Hono } from 'hono';
import { can } from '../../auth/index.ts';
import { isTresorError } from '../../core/errors.ts';
import { discardIdsOf, discardQuarantinedMany } from '../../ingest/quarantine.ts';
import {
  approvedNotDone, decide, listApprovals, pendingApprovals, runApproved, type ApprovalRow,
} from '../../retention/index.ts';
import { retentionExecutors } from '../../retention/deletion.ts';
import { approvalsPage, type ApprovalsData } from '../../../views/approvals.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { form, pageCtx } from '../page.ts';
import { requirePermission } from '../session.ts';

/** Carries out an approved request; `actor` is the person who approved it. */
export type ApprovalExecutor = (row: ApprovalRow, actor: string) => Promise<Record<string, unknown>>;

/** What each kind of four-eyes request does once approved. Legal holds and early deletion add theirs here. */
export function approvalExecutors(deps: Pick<AppDeps, 'site' | 'config'>): Record<string, ApprovalExecutor> {
  const { site, config } = deps;
  return {
    ...retentionExecutors({ store: site.store, log: site.log, dataDir: config.dataDir }),
    async 'quarantine.discard'(row, actor) {
      // Entries retried into the archive (or discarded) meanwhile are reported as gone.
      const r = await discardQuarantinedMany({ dataDir: config.dataDir, store: site.store, log: site.log, actor },
        discardIdsOf(row.payload, row.target), { approval: row.id, requestedBy: row.requestedBy });
      return { discarded: r.discarded.map((id) => `quarantine:${id}`), gone: r.gone.map((id) => `quarantine:${id}`) };
    },
  };
}

/**
 * /approvals: anyone signed in sees their own requests; holders of `approvals.decide`
 * see every pending request and approve or reject it (not their own).
 */
export function approvalRoutes(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  const { store, log } = deps.site;
  const executors = approvalExecutors(deps);

  function page(c: Ctx, extra: Pick<ApprovalsData, 'done' | 'error'> = {}, status: 200 | 400 | 403 | 404 | 409 = 200) {
    const p = c.get('principal')!;
    const canDecide = can(p.roles, 'approvals.decide');
    const mine = (r: ApprovalRow) => r.requester === p.name || r.requestedBy === p.actor;
    const since = Date.now() - 30 * 86_400_000;
    const data: ApprovalsData = {
      pending: pendingApprovals(store).filter((r) => canDecide || mine(r)),
      approvedNotDone: canDecide ? approvedNotDone(store) : approvedNotDone(store).filter(mine),
      mine: listApprovals(store, { since }).filter(mine).reverse(),
      canDecide, me: { actor: p.actor, name: p.name }, ...extra,
    };
    return c.html(approvalsPage(pageCtx(c), data), status);
  }

  const run = async (row: ApprovalRow, actor: string) => {
    const exec = executors[row.kind];
    if (!exec) throw new Error(`no executor for approval kind ${row.kind}`);
    return runApproved(store, row.id, (r) => exec(r, actor));
  };

  const refused = (c: Ctx, e: unknown) => {
    if (isTresorError(e, 'E_FORBIDDEN')) return page(c, { error: e.message }, 403);
    if (isTresorError(e, 'E_NOT_FOUND')) return page(c, { error: e.message }, 404);
    if (isTresorError(e, 'E_USAGE')) return page(c, { error: e.message }, 409);
    throw e;
  };

  app.get('/', requirePermission(log), (c) => page(c, { done: c.req.query('done') }));

  app.post('/:id/decide', requirePermission(log, 'approvals.decide'), async (c) => {
    const p = c.get('principal')!;
    const f = await form(c);
    if (f.decision !== 'approve' && f.decision !== 'reject') return page(c, { error: 'choose approve or reject' }, 400);
    const approve = f.decision === 'approve';
    try {
      const row = await decide(store, log, c.req.param('id'), { by: p.actor, person: p.name, roles: p.roles, approve, note: f.note });
      if (approve) await run(row, p.actor);
    } catch (e) {
      return refused(c, e);
    }
    return c.redirect(`/approvals?done=${approve ? 'approved' : 'rejected'}`, 303);
  });

  app.post('/:id/run', requirePermission(log, 'approvals.decide'), async (c) => {
    const p = c.get('principal')!;
    const row = store.approvals.get(c.req.param('id')) as ApprovalRow | undefined;
    if (!row) return page(c, { error: `no approval request ${c.req.param('id')}` }, 404);
    try {
      await run(row, p.actor);
    } catch (e) {
      return refused(c, e);
    }
    return c.redirect('/approvals?done=run', 303);
  });

  return app;
}
