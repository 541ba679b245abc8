import { Hono } from 'hono';
import { TresorError } from '../../core/errors.ts';
import { isId } from '../../core/ids.ts';
import type { AppDeps } from '../app.ts';
import { audioResponse } from '../audio.ts';
import type { WebEnv } from '../env.ts';
import { fieldsOf, FIELD_NAMES, toQuery } from '../../access/search-form.ts';
import { requirePermission } from '../session.ts';

/**
 * The JSON API for integrations (DESIGN §3): the same search, metadata and audio as the
 * console, through the same door and the same permission table. Bearer tokens (or a
 * console session, for GETs).
 */
export function apiRoutes(deps: AppDeps) {
  const { access, site, config } = deps;
  const app = new Hono<WebEnv>();
  app.use('*', requirePermission(site.log));

  const idParam = (id: string) => {
    if (!isId(id)) throw new TresorError('E_NOT_FOUND', `no recording ${id}`);
    return id;
  };

  app.get('/recordings', async (c) => {
    const q = c.req.query();
    const unknown = Object.keys(q).filter((k) => !(FIELD_NAMES as string[]).includes(k));
    if (unknown.length) throw new TresorError('E_INVALID', `unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${FIELD_NAMES.join(', ')})`);
    const r = await access.search(c.get('principal')!, toQuery(fieldsOf(q), config.phone));
    return c.json(r);
  });

  app.get('/recordings/:id', async (c) => c.json(await access.view(c.get('principal')!, idParam(c.req.param('id')))));

  // ?legalClaims=REF: a dpo opening a restricted call for legal claims (Art. 18(2)), logged with the access
  app.get('/recordings/:id/audio', (c) => audioResponse(access, c.get('principal')!, idParam(c.req.param('id')), c.req.header('Range'), 'recording.played',
    c.req.query('legalClaims') ? { legalClaims: c.req.query('legalClaims') } : {}));
  return app;
}
