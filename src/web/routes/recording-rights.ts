import { Hono } from 'hono';
import { TresorError } from '../../core/errors.ts';
import { parseDateBound } from '../../core/dates.ts';
import { isId } from '../../core/ids.ts';
import { liftRestriction, restrictRecording } from '../../privacy/index.ts';
import type { AppDeps } from '../app.ts';
import { privacyDepsOf } from '../privacy-deps.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal } from '../errors.ts';
import { form } from '../page.ts';
import { requirePermission } from '../session.ts';
import { showRecording } from './recordings.ts';
import { knownRequestId } from './rights-api.ts';
import type { RightsSectionView } from '../../../views/rights.ts';

/**
 * The recording page's dpo section (issue 11 #6, #7): restrict (Art. 18(1)), lift with the
 * day the subject was told (18(3)), rectify one field (Art. 16). Forms with the session's
 * CSRF token (src/web/security.ts checks it); a refusal comes back on the recording page at
 * its form. Mounted at /recordings before the recording routes; `privacy.requests` only,
 * a refusal of anyone else is logged (access.denied).
 */
export function recordingRightsRoutes(deps: AppDeps) {
  const { site } = deps;
  const privacy = privacyDepsOf(deps);
  const app = new Hono<WebEnv>();
  const guard = requirePermission(site.log, 'privacy.requests');
  const actor = (c: Ctx) => c.get('principal')!.actor;

  const step = (what: NonNullable<RightsSectionView['errorAt']>, done: string, run: (c: Ctx, id: string, f: Record<string, string>) => Promise<unknown>) =>
    app.post(`/:id/${what}`, guard, async (c) => {
      const id = c.req.param('id').toUpperCase();
      if (!isId(id)) throw new TresorError('E_NOT_FOUND', `no recording ${c.req.param('id')}`);
      const f = await form(c);
      try {
        await run(c, id, f);
      } catch (e) {
        const s = refusal(e);
        if (s && s.status !== 404) return showRecording(deps, c, id, { error: s.message, errorAt: what }, s.status);
        throw e;
      }
      return c.redirect(`/recordings/${id}?done=${done}#rights`, 303);
    });

  step('restrict', 'restricted', (c, id, f) => restrictRecording(privacy, actor(c), id, { reason: f.reason ?? '', requestId: knownRequestId(site.store, f.requestId) }));
  step('unrestrict', 'lifted', (c, id, f) => {
    if (!(f.notified ?? '').trim()) throw new TresorError('E_INVALID', 'notified: the day the subject was told is required (Art. 18(3))', { detail: { field: 'notified' } });
    // the form gives a day: "today" is now (not this morning's midnight, not tonight's)
    const start = parseDateBound(f.notified!, 'start', 'notified');
    const now = Date.now();
    const notifiedAt = start > now ? start : Math.min(parseDateBound(f.notified!, 'end', 'notified'), now);
    return liftRestriction(privacy, actor(c), id, { notifiedAt, requestId: knownRequestId(site.store, f.requestId), now });
  });
  step('rectify', 'rectified', (c, id, f) => deps.rectify(actor(c), id, {
    field: f.field ?? '', value: f.value ?? '', statement: f.statement?.trim() || undefined, requestId: knownRequestId(site.store, f.requestId),
  }));
  return app;
}
