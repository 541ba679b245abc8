import { Hono } from 'hono';
import { can } from '../../auth/index.ts';
import { isTresorError, TresorError } from '../../core/errors.ts';
import { isId } from '../../core/ids.ts';
import { recordingPage, resultsFragment, searchPage } from '../../../views/recordings.ts';
import type { AppDeps } from '../app.ts';
import { audioResponse } from '../audio.ts';
import type { WebEnv } from '../env.ts';
import { pageCtx } from '../page.ts';
import { fieldsOf, toQuery } from '../search-query.ts';
import { requirePermission } from '../session.ts';
import { recordingRetention } from './holds.ts';

/** Search, the recording page, the player's audio and downloads — all through src/access. */
export function recordingRoutes(deps: AppDeps) {
  const { access, site, config } = deps;
  const app = new Hono<WebEnv>();
  app.use('*', requirePermission(site.log, 'recording.search'));

  app.get('/', async (c) => {
    const ctx = pageCtx(c);
    const f = fieldsOf(c.req.query());
    let results;
    try {
      const r = await access.search(c.get('principal')!, toQuery(f, config.phone));
      results = resultsFragment(ctx, f, r);
    } catch (e) {
      if (!isTresorError(e, 'E_USAGE') && !isTresorError(e, 'E_FORBIDDEN')) throw e;
      results = resultsFragment(ctx, f, { error: e.message });
    }
    if (c.req.header('HX-Request') === 'true') return c.html(results);
    return c.html(searchPage(ctx, f, results));
  });

  const idParam = (id: string) => {
    if (!isId(id)) throw new TresorError('E_NOT_FOUND', `no recording ${id}`);
    return id;
  };

  app.get('/:id', async (c) => {
    const ctx = pageCtx(c);
    const p = c.get('principal')!;
    const v = await access.view(p, idParam(c.req.param('id')));
    // who listened to a call is the access log: for log.read only (issue 16), not for
    // every supervisor and admin who opens the page
    const log = can(p.roles, 'log.read') ? site.log.about('target', `recording:${v.id}`, 100) : null;
    return c.html(recordingPage(ctx, v, { canAudio: can(p.roles, 'recording.audio'), log, retention: recordingRetention(site.store, p, v.id) }));
  });

  app.get('/:id/audio', (c) => audioResponse(access, c.get('principal')!, idParam(c.req.param('id')), c.req.header('Range')));

  app.get('/:id/download', async (c) => {
    const id = idParam(c.req.param('id'));
    const format = c.req.query('format') ?? 'stored';
    if (format !== 'stored' && format !== 'wav') throw new TresorError('E_USAGE', 'format: stored or wav');
    if (format === 'wav' && !deps.media) throw new TresorError('E_USAGE', 'WAV conversion is not available on this server');
    const r = await access.readAudio(c.get('principal')!, id, 'recording.downloaded', { detail: { format } });
    const bytes = format === 'wav' ? await deps.media!.decodeToWav(r.audio, r.row.storedFormat) : r.audio;
    const ext = format === 'wav' ? 'wav' : r.row.storedFormat === 'opus' ? 'opus' : r.row.storedFormat === 'flac' ? 'flac' : 'bin';
    return new Response(bytes as unknown as BodyInit, {
      headers: {
        'Content-Type': format === 'wav' ? 'audio/wav' : r.contentType,
        'Content-Disposition': `attachment; filename="${id}.${ext}"`,
        'Content-Length': String(bytes.length),
        'Cache-Control': 'no-store, private',
      },
    });
  });
  return app;
}
