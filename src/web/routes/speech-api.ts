import { Hono } from 'hono';
import { TresorError } from '../../core/errors.ts';
import { isId } from '../../core/ids.ts';
import type { AppDeps } from '../app.ts';
import type { WebEnv } from '../env.ts';
import { requirePermission } from '../session.ts';

/**
 * Advisory speech findings over the API (issue 12 #5), for a review tool with a dpo's or
 * supervisor's Bearer token: GET lists a call's findings, POST confirms or dismisses one
 * (only a confirmation becomes consent evidence). app.ts lets these POSTs through the
 * read-only guard for Bearer tokens only; a console cookie uses the recording page's forms.
 */
export const SPEECH_API_WRITES: readonly RegExp[] = [/^\/api\/recordings\/[^/]+\/findings\/[^/]+\/(confirm|dismiss)$/];

export function speechApi(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  app.use('/recordings/:id/findings', requirePermission(deps.site.log, 'speech.review'));
  app.use('/recordings/:id/findings/*', requirePermission(deps.site.log, 'speech.review'));
  const ops = () => {
    if (!deps.speech) throw new TresorError('E_NOT_FOUND', 'speech review is not wired on this server');
    return deps.speech;
  };
  const idParam = (id: string) => {
    if (!isId(id)) throw new TresorError('E_NOT_FOUND', `no recording ${id}`);
    return id;
  };
  app.get('/recordings/:id/findings', async (c) => c.json({ findings: await ops().list(c.get('principal')!, idParam(c.req.param('id'))) }));
  for (const what of ['confirm', 'dismiss'] as const) {
    app.post(`/recordings/:id/findings/:finding/${what}`, async (c) => {
      const r = await ops().review(c.get('principal')!, idParam(c.req.param('id')), c.req.param('finding'), what === 'confirm' ? 'confirmed' : 'dismissed');
      return c.json(r);
    });
  }
  return app;
}
