import { Hono } from 'hono';
import { decide } from '../../approvals/index.ts';
import type { AppDeps } from '../app.ts';
import type { WebEnv } from '../env.ts';
import { requirePermission } from '../session.ts';
import { TresorError } from '../../core/errors.ts';

/**
 * Four-eyes decisions over the API (issue 11 contract): `POST /api/approvals/:id/approve`
 * and `/reject`, for any registered kind (erasure, deletion, hold release, …). The same
 * rules as the console's /approvals page: the second person only (E_FOUR_EYES for the
 * requester), `approvals.decide` needed, and an approval runs the action at once.
 * Bearer only: these paths are in APPROVALS_API_WRITES, which app.ts lets through its
 * read-only guard (no console cookie, so no CSRF surface).
 */
export const APPROVALS_API_WRITES: readonly RegExp[] = [/^\/api\/approvals\/[^/]+\/(approve|reject)$/];

export function approvalsApi(deps: AppDeps) {
  const { site } = deps;
  const app = new Hono<WebEnv>();
  app.use('/approvals/*', requirePermission(site.log, 'approvals.decide'));

  for (const verb of ['approve', 'reject'] as const) {
    app.post(`/approvals/:id/${verb}`, async (c) => {
      const p = c.get('principal')!;
      let note: string | undefined;
      const text = await c.req.text();
      if (text.trim()) {
        let b: unknown;
        try {
          b = JSON.parse(text);
        } catch {
          throw new TresorError('E_INVALID', 'the body must be JSON, e.g. {"note": "checked with the requester"}');
        }
        const n = (b as { note?: unknown } | null)?.note;
        if (n !== undefined && typeof n !== 'string') throw new TresorError('E_INVALID', 'note is a text');
        note = n as string | undefined;
      }
      const row = await decide(site.store, site.log, c.req.param('id'), { by: p.actor, person: p.name, roles: p.roles, approve: verb === 'approve', note });
      if (verb === 'reject') return c.json({ approval: row.id, state: row.state });
      const done = await deps.approvals.execute(site.store, row, p.actor);
      return c.json({ approval: done.row.id, state: done.row.state, result: done.result });
    });
  }
  return app;
}
