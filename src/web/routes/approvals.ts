import { Hono } from 'hono';
import { can } from '../../auth/index.ts';
import { approvedNotDone, decide, listApprovals, outcomeOf, pendingApprovals } from '../../approvals/index.ts';
import type { ApprovalRow } from '../../store/index.ts';
import { approvalsPage, type ApprovalsData } from '../../../views/approvals.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal, type Refusal } from '../errors.ts';
import { form, pageCtx } from '../page.ts';
import { requirePermission } from '../session.ts';

/**
 * /approvals: anyone signed in sees their own requests; holders of `approvals.decide`
 * see every pending request and approve or reject it (not their own).
 */
export function approvalRoutes(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  const { store, log } = deps.site;
  const registry = deps.approvals;

  function page(c: Ctx, extra: Pick<ApprovalsData, 'done' | 'error'> = {}, status: 200 | Refusal['status'] = 200) {
    const p = c.get('principal')!;
    const canDecide = can(p.roles, 'approvals.decide');
    const mine = (r: ApprovalRow) => r.requester === p.name || r.requestedBy === p.actor;
    const since = Date.now() - 30 * 86_400_000;
    const viewer = { roles: p.roles };
    const recent = listApprovals(store, { since });
    const withPreview = (r: ApprovalRow) => ({ row: r, preview: registry.describe(r, viewer) });
    const withOutcome = (r: ApprovalRow) => ({ row: r, outcome: outcomeOf(r.result) });
    const data: ApprovalsData = {
      pending: pendingApprovals(store).filter((r) => canDecide || mine(r)).map(withPreview),
      approvedNotDone: (canDecide ? approvedNotDone(store) : approvedNotDone(store).filter(mine)).map(withPreview),
      mine: recent.filter(mine).reverse().map(withOutcome),
      decidedByMe: recent.filter((r) => r.decider === p.name || r.decidedBy === p.actor)
        .sort((a, b) => (b.executedAt ?? b.decidedAt ?? 0) - (a.executedAt ?? a.decidedAt ?? 0)).slice(0, 20).map(withOutcome),
      canDecide, me: { actor: p.actor, name: p.name }, ...extra,
    };
    return c.html(approvalsPage(pageCtx(c), data), status);
  }

  const run = (row: ApprovalRow, actor: string) => registry.execute(store, row, actor);

  // the list comes back with the refusal, at the status of its code (src/web/errors.ts)
  const refused = (c: Ctx, e: unknown) => {
    const r = refusal(e, c.get('lang'));
    if (!r) throw e;
    return page(c, { error: r.message }, r.status);
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
    const row = store.approvals.get(c.req.param('id'));
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
