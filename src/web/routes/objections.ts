import { Hono } from 'hono';
import { TresorError } from '../../core/errors.ts';
import { isId } from '../../core/ids.ts';
import { OBJECTION_SCOPES, type ObjectionRow } from '../../store/index.ts';
import { addObjection, listObjections, openRequest, removeObjection, restrictRecording } from '../../privacy/index.ts';
import { objectionsPage, type ObjectionItem, type ObjectionsData } from '../../../views/rights.ts';
import type { AppDeps } from '../app.ts';
import { privacyDepsOf } from '../privacy-deps.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal } from '../errors.ts';
import { form, pageCtx } from '../page.ts';
import { requirePermission } from '../session.ts';
import { knownRequestId } from './rights-api.ts';

const RESTRICTED = 'restricted:';

/**
 * /privacy/objections: the objection and do-not-record register in the console (GDPR
 * Art. 21, consent withdrawal Art. 7(3); issue 11 #5). The list shows scope, since when,
 * the request it came from and which kind of identifier matched — never the identifier,
 * which is sealed. An entry's archived calls are a DPO task: open an erasure request for
 * the same subject (Art. 17, then four eyes), or restrict them all (Art. 18(1)(d), each
 * logged). Mounted at /privacy; `privacy.requests` only.
 */
export function objectionRoutes(deps: AppDeps) {
  const { site } = deps;
  const { store } = site;
  const privacy = privacyDepsOf(deps);
  const app = new Hono<WebEnv>();
  for (const p of ['/objections', '/objections/*']) app.use(p, requirePermission(site.log, 'privacy.requests'));
  const actor = (c: Ctx) => c.get('principal')!.actor;

  /** the archived calls carrying one of the entry's tokens (erased calls have left the token index) */
  const callsOf = (r: ObjectionRow) => [...new Set(r.tokens.flatMap((t) => store.recordings.idsByToken(t.kind, t.token)))].filter((id) => store.recordings.get(id));
  const item = (r: ObjectionRow): ObjectionItem => {
    const calls = callsOf(r);
    return {
      id: r.id, scope: r.scope, createdAt: r.createdAt, requestId: r.requestId, identifiers: r.tokens.map((t) => t.kind),
      calls: calls.length, restricted: calls.filter((id) => store.recordings.get(id)?.marks?.some((m) => m.startsWith(RESTRICTED))).length, removedAt: r.removedAt,
    };
  };
  const entry = (id: string) => {
    const r = isId(id.toUpperCase()) ? store.objections.get(id.toUpperCase()) : undefined;
    if (!r) throw new TresorError('E_NOT_FOUND', `no objection ${id}`);
    return r;
  };

  const page = (c: Ctx, extra: Partial<ObjectionsData> = {}, status: number = 200) => {
    // active first, newest first
    const rows = listObjections(privacy).sort((a, b) => Number(a.removedAt !== null) - Number(b.removedAt !== null) || b.createdAt - a.createdAt);
    const q = c.req.query();
    const task = q.task && isId(q.task) && store.objections.get(q.task) ? item(store.objections.get(q.task)!) : undefined;
    const restrictedAll = q.restricted !== undefined && /^\d+$/.test(q.restricted) && /^\d+$/.test(q.already ?? '') ? { n: Number(q.restricted), already: Number(q.already) } : undefined;
    const data: ObjectionsData = { items: rows.map(item), scopes: OBJECTION_SCOPES, task, restrictedAll, done: q.done, ...extra };
    return c.html(objectionsPage(pageCtx(c), data), status as 200);
  };

  app.get('/objections', (c) => page(c));

  app.post('/objections', async (c) => {
    const f = await form(c);
    const draft = { number: f.number ?? '', customerId: f.customerId ?? '', scope: f.scope ?? '', requestId: f.requestId ?? '' };
    let id: string;
    try {
      const { row } = await addObjection(privacy, actor(c), {
        number: draft.number.trim() || undefined, customerId: draft.customerId.trim() || undefined, scope: draft.scope, requestId: knownRequestId(store, draft.requestId),
      });
      id = row.id;
    } catch (e) {
      const s = refusal(e);
      if (s) return page(c, { draft, error: s.message, task: undefined }, s.status);
      throw e;
    }
    // after the POST a GET (a reload adds nothing); the page says how many calls the subject has
    return c.redirect(`/privacy/objections?task=${id}#objection-added`, 303);
  });

  // Art. 17 for the same subject: the identifiers come from the sealed entry, never from a form or URL
  app.post('/objections/:id/erasure-request', async (c) => {
    const r = entry(c.req.param('id'));
    const ids = JSON.parse(deps.secrets.openSecret(`objection:${r.id}`, r.identifiers)) as { number?: string; customerId?: string };
    const req = await openRequest(privacy, actor(c), { kind: 'erasure', number: ids.number, customerId: ids.customerId, channel: 'objection register' });
    return c.redirect(`/privacy/requests/${req.id}?done=opened`, 303);
  });

  // Art. 18(1)(d): every archived call of the subject restricted, each one logged (recording.restricted)
  app.post('/objections/:id/restrict', async (c) => {
    const r = entry(c.req.param('id'));
    if (r.removedAt !== null) throw new TresorError('E_CONFLICT', `objection ${r.id} was removed`);
    let n = 0;
    let already = 0;
    for (const id of callsOf(r)) {
      if (store.recordings.get(id)?.marks?.some((m) => m.startsWith(RESTRICTED))) {
        already++;
        continue;
      }
      await restrictRecording(privacy, actor(c), id, { reason: 'objection', requestId: r.requestId ?? undefined });
      n++;
    }
    return c.redirect(`/privacy/objections?task=${r.id}&restricted=${n}&already=${already}#objection-added`, 303);
  });

  app.post('/objections/:id/remove', async (c) => {
    const r = entry(c.req.param('id'));
    try {
      await removeObjection(privacy, actor(c), r.id);
    } catch (e) {
      const s = refusal(e);
      if (s && s.status !== 404) return page(c, { error: s.message }, s.status);
      throw e;
    }
    return c.redirect('/privacy/objections?done=removed', 303);
  });
  return app;
}
