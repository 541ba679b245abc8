import { Hono } from 'hono';
import { Readable } from 'node:stream';
import { downloadWav } from '../../access/index.ts';
import { can } from '../../auth/index.ts';
import { TresorError } from '../../core/errors.ts';
import { isId } from '../../core/ids.ts';
import { downloadName, storedExtension } from '../../core/download-name.ts';
import { recordingPage, resultsFragment, searchPage } from '../../../views/recordings.ts';
import type { AppDeps } from '../app.ts';
import { audioResponse } from '../audio.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { RECTIFIABLE_FIELDS, RESTRICTION_KINDS } from '../../privacy/index.ts';
import type { RightsSectionView } from '../../../views/rights.ts';
import { refusal } from '../errors.ts';
import { form, pageCtx } from '../page.ts';
import { openRequest } from '../../privacy/index.ts';
import { privacyDepsOf } from '../privacy-deps.ts';
import { fieldsOf, queryString, toQuery } from '../../access/search-form.ts';
import { requirePermission } from '../session.ts';
import { recordingRetention } from './holds.ts';

/**
 * The recording page; for a holder of `privacy.requests` with the restrict / lift / rectify
 * section (issue 11 #6, #7), which the forms of recording-rights.ts come back to with their
 * refusal in place.
 */
export async function showRecording(deps: AppDeps, c: Ctx, id: string, rights: Pick<RightsSectionView, 'done' | 'error' | 'errorAt'> = {}, status: number = 200): Promise<Response> {
  const ctx = pageCtx(c);
  const p = c.get('principal')!;
  const v = await deps.access.view(p, id);
  // who listened to a call is the access log: for log.read only (issue 16), not for
  // every supervisor and admin who opens the page
  const log = can(p.roles, 'log.read') ? deps.site.log.about('target', `recording:${v.id}`, 100) : null;
  const section = can(p.roles, 'privacy.requests')
    ? { id: v.id, restricted: v.restricted ?? [], reasons: RESTRICTION_KINDS, fields: RECTIFIABLE_FIELDS, ...rights }
    : undefined;
  // issue 12 #5: advisory speech findings, for those who confirm or dismiss them
  const findings = deps.speech && can(p.roles, 'speech.review') ? await deps.speech.list(p, v.id) : null;
  return c.html(recordingPage(ctx, v, {
    canAudio: can(p.roles, 'recording.audio'), log, retention: recordingRetention(deps.site.store, p, v.id), rights: section,
    findings, canRequest: can(p.roles, 'privacy.requests'),
  }), status as 200);
}

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
      results = resultsFragment(ctx, f, { ...r, more: r.next ? queryString(f, { cursor: r.next }) : null });
    } catch (e) {
      // a refused search (a bad field, a filter the role may not use) shows where the results would
      const r = refusal(e, c.get('lang'));
      if (!r) throw e;
      results = resultsFragment(ctx, f, { error: r.message });
    }
    if (c.req.header('HX-Request') === 'true') return c.html(results);
    return c.html(searchPage(ctx, f, results));
  });

  const idParam = (id: string) => {
    if (!isId(id)) throw new TresorError('E_NOT_FOUND', `no recording ${id}`);
    return id;
  };

  app.get('/:id', (c) => showRecording(deps, c, idParam(c.req.param('id')), { done: c.req.query('done') }));

  const speech = () => {
    if (!deps.speech) throw new TresorError('E_NOT_FOUND', 'speech review is not wired on this server');
    return deps.speech;
  };
  // Forms of the findings section (CSRF: the app's guard checks _csrf on every POST)
  for (const what of ['confirm', 'dismiss'] as const) {
    app.post(`/:id/findings/:finding/${what}`, async (c) => {
      const id = idParam(c.req.param('id'));
      await form(c);
      await speech().review(c.get('principal')!, id, c.req.param('finding'), what === 'confirm' ? 'confirmed' : 'dismissed');
      return c.redirect(`/recordings/${id}#findings`, 303);
    });
  }

  // A confirmed objection (issue 12 #5): the dpo opens an objection request for the caller
  // (Art. 21 GDPR) from the call, with the caller's number taken from the sealed metadata.
  app.post('/:id/findings/:finding/objection-request', async (c) => {
    const id = idParam(c.req.param('id'));
    const p = c.get('principal')!;
    await form(c);
    await access.authorize(p, 'privacy.requests', `recording:${id}`);
    const f = (await speech().list(p, id)).find((x) => x.id === c.req.param('finding'));
    if (!f || f.kind !== 'object' || f.status !== 'confirmed') throw new TresorError('E_INVALID', 'only a confirmed objection finding opens an objection request', { detail: { reason: 'not-confirmed-objection' } });
    const v = await access.view(p, id);
    const number = v.direction === 'out' ? v.to : v.from;
    if (!number) throw new TresorError('E_INVALID', 'this call has no caller number to open the request for: open it on the privacy page', { detail: { reason: 'no-number' } });
    const r = await openRequest(privacyDepsOf(deps), p.actor, { kind: 'objection', number, channel: 'speech-review' });
    await site.log.append([{ actor: p.actor, action: 'speech.finding.objection-request', target: `recording:${id}`, detail: { finding: f.id, request: r.id } }]);
    return c.redirect(`/privacy/requests/${r.id}`, 303);
  });

  app.get('/:id/audio', (c) => audioResponse(access, c.get('principal')!, idParam(c.req.param('id')), c.req.header('Range')));

  app.get('/:id/download', async (c) => {
    const id = idParam(c.req.param('id'));
    const format = c.req.query('format') ?? 'stored';
    if (format !== 'stored' && format !== 'wav') throw new TresorError('E_INVALID', 'format: stored or wav');
    if (format === 'wav' && !deps.media) throw new TresorError('E_FFMPEG_MISSING', 'WAV conversion is not available on this server');
    if (format === 'wav') {
      // Streamed from ffmpeg at the call's own rate, on the download pool (issue 16 #9, #13);
      // a full pool is E_BUSY: 503 with Retry-After (src/web/errors.ts)
      const w = await downloadWav(access, deps.media!, c.get('principal')!, id, 'recording.downloaded', c.req.raw.signal);
      return new Response(Readable.toWeb(w.body) as ReadableStream, {
        headers: {
          'Content-Type': 'audio/wav',
          'Content-Disposition': `attachment; filename="${downloadName(w.row, 'wav')}"`,
          'Content-Length': String(w.bytes),
          'Cache-Control': 'no-store, private',
        },
      });
    }
    const r = await access.readAudio(c.get('principal')!, id, 'recording.downloaded', { detail: { format } });
    return new Response(r.audio as unknown as BodyInit, {
      headers: {
        'Content-Type': r.contentType,
        'Content-Disposition': `attachment; filename="${downloadName(r.row, storedExtension(r.row.storedFormat))}"`,
        'Content-Length': String(r.audio.length),
        'Cache-Control': 'no-store, private',
      },
    });
  });
  return app;
}
