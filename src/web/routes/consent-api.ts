import { Hono } from 'hono';
import { TresorError } from '../../core/errors.ts';
import type { AppDeps } from '../app.ts';
import type { WebEnv } from '../env.ts';
import { requirePermission } from '../session.ts';
import { jsonBody } from '../page.ts';

/**
 * Consent events from the PBX, IVR or CRM (issue 12): POST /api/consent with the Bearer
 * token of a user with role `integration` (permission consent.events). The one write
 * here; app.ts lets it through the read-only guard for Bearer tokens only.
 */
export const CONSENT_API_WRITES: readonly RegExp[] = [/^\/api\/consent$/];

export function consentApi(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  app.use('/consent', requirePermission(deps.site.log, 'consent.events'));
  app.post('/consent', async (c) => {
    if (!deps.consentEvent) throw new TresorError('E_NOT_FOUND', 'consent events are not wired on this server');
    const b = await jsonBody(c);
    const r = await deps.consentEvent(c.get('principal')!.actor, b);
    return c.json(r, r.status === 'applied' ? 200 : 202);
  });
  return app;
}
