import { Hono } from 'hono';
import { can, grantPayload, grantRoles, ROLE_GRANT_KIND } from '../../auth/index.ts';
import { discardIdsOf, discardQuarantinedMany } from '../../ingest/quarantine.ts';
import {
  approvedNotDone, decide, describeApproval, listApprovals, outcomeOf, pendingApprovals, runApproved, type ApprovalKinds, type ApprovalRow,
} from '../../retention/index.ts';
import { retentionKinds } from '../../retention/deletion.ts';
import { approvalsPage, type ApprovalsData } from '../../../views/approvals.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal, type Refusal } from '../errors.ts';
import { form, pageCtx } from '../page.ts';
import { requirePermission } from '../session.ts';

/** Carries out an approved request; `actor` is the person who approved it. */
export type ApprovalExecutor = (row: ApprovalRow, actor: string) => Promise<Record<string, unknown>>;

/**
 * Every kind of four-eyes request: how it describes itself to the approver and what it
 * does once approved (src/retention/approvals.ts, ApprovalKind). Owners add theirs here.
 */
export function approvalKinds(deps: Pick<AppDeps, 'site' | 'config'>): ApprovalKinds {
  const { site, config } = deps;
  return {
    ...retentionKinds({ store: site.store, log: site.log, dataDir: config.dataDir }),
    'quarantine.discard': {
      async execute(row, actor) {
        // Entries retried into the archive (or discarded) meanwhile are reported as gone.
        const r = await discardQuarantinedMany({ dataDir: config.dataDir, store: site.store, log: site.log, actor },
          discardIdsOf(row.payload, row.target), { approval: row.id, requestedBy: row.requestedBy });
        const outcome = r.discarded.length === 0 ? 'nothing' : r.gone.length ? 'partial' : 'done';
        return {
          discarded: r.discarded.map((id) => `quarantine:${id}`), gone: r.gone.map((id) => `quarantine:${id}`), outcome,
          summary: `${r.discarded.length} quarantined file(s) discarded${r.gone.length ? `, ${r.gone.length} gone already` : ''}`,
          counts: { discarded: r.discarded.length, gone: r.gone.length },
        };
      },
    },
    // four-eyes role grants (src/auth/role-grants.ts): supervisor and dpo see personal data
    [ROLE_GRANT_KIND]: {
      describe(row) {
        const { user, roles } = grantPayload(row.payload);
        return {
          summary: `grant ${roles.join(', ')} to ${user}`,
          facts: [{ label: 'user', value: user }, { label: 'roles', value: roles.join(', ') }],
        };
      },
      async execute(row, actor) {
        const u = await grantRoles(site.store, site.log, actor, row);
        return { user: `user:${u.name}`, roles: u.roles, outcome: 'done', summary: `${u.name} now has ${u.roles.join(', ')}` };
      },
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
  const kinds = approvalKinds(deps);

  function page(c: Ctx, extra: Pick<ApprovalsData, 'done' | 'error'> = {}, status: 200 | Refusal['status'] = 200) {
    const p = c.get('principal')!;
    const canDecide = can(p.roles, 'approvals.decide');
    const mine = (r: ApprovalRow) => r.requester === p.name || r.requestedBy === p.actor;
    const since = Date.now() - 30 * 86_400_000;
    const viewer = { roles: p.roles };
    const recent = listApprovals(store, { since });
    const withPreview = (r: ApprovalRow) => ({ row: r, preview: describeApproval(kinds, r, viewer) });
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

  const run = async (row: ApprovalRow, actor: string) => {
    const kind = kinds[row.kind];
    if (!kind) throw new Error(`no executor for approval kind ${row.kind}`);
    return runApproved(store, row.id, (r) => kind.execute(r, actor));
  };

  // the list comes back with the refusal, at the status of its code (src/web/errors.ts)
  const refused = (c: Ctx, e: unknown) => {
    const r = refusal(e);
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
