import { Hono } from 'hono';
import { pendingApprovals } from '../../approvals/index.ts';
import { DELETE_KIND, requestDeletion } from '../../retention/deletion.ts';
import { activeHolds, addHold, getHold, heldBy, heldNow, HOLD_RELEASE_KIND, holdSearchOf, listHolds, requestHoldRelease, searchesPersonalData, shownSearchOf } from '../../retention/holds.ts';
import { whyStillHere } from '../../retention/purge.ts';
import { can, type Principal } from '../../auth/index.ts';
import type { IndexStore, RecordingRow } from '../../store/index.ts';
import { holdsLabel, holdsPage, type HoldDraft, type HoldsData } from '../../../views/holds.ts';
import type { RecordingRetention } from '../../../views/retention.ts';
import type { AppDeps } from '../app.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal, type Refusal } from '../errors.ts';
import { form, pageCtx } from '../page.ts';
import { fieldsOf, toQuery } from '../../access/search-form.ts';
import { requirePermission } from '../session.ts';

/** Ids as people paste them: lines, spaces, commas, semicolons. */
export const splitIds = (s: string) => s.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);

/**
 * /holds (`holds.manage`): legal holds — place (one person), list, request release
 * (four-eyes, decided on /approvals) — and early-deletion requests (four-eyes too).
 */
export function holdRoutes(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  const { store, log } = deps.site;
  app.use('*', requirePermission(log, 'holds.manage'));

  const page = (c: Ctx, extra: Partial<HoldsData> = {}, status: 200 | Refusal['status'] = 200) => {
    const pending = pendingApprovals(store);
    const releases = new Map(pending.filter((a) => a.kind === HOLD_RELEASE_KIND).map((a) => [a.target, a.id]));
    // issue 15 item 5: the number of a hold by number for those who may see numbers, and
    // how many calls each active hold keeps now
    const personal = can(c.get('principal')!.roles, 'recording.personal');
    const holds = listHolds(store).map((h) => ({
      ...h, pendingRelease: releases.get(`hold:${h.id}`) ?? null,
      shown: personal ? shownSearchOf(h, (ctx, sealed) => deps.secrets.openSecret(ctx, sealed)) : null,
      heldNow: h.state === 'active' ? heldNow(store, h) : null,
    }));
    return c.html(holdsPage(pageCtx(c), { holds, deletions: pending.filter((a) => a.kind === DELETE_KIND), ...extra }), status);
  };

  // a refusal comes back on the page, at the status of its code (src/web/errors.ts)
  const status = (e: unknown) => refusal(e)?.status ?? null;
  const said = (c: { get(k: 'lang'): 'de' | 'en' }, e: unknown) => refusal(e, c.get('lang'))?.message ?? (e as Error).message;

  app.get('/', (c) => page(c, { done: c.req.query('done') }));

  app.post('/', async (c) => {
    const f = await form(c);
    const draft: HoldDraft = {
      caseName: f.caseName ?? '', reason: f.reason ?? '', ids: f.ids ?? '', from: f.from ?? '', to: f.to ?? '', number: f.number ?? '',
      agent: f.agent ?? '', queue: f.queue ?? '', direction: f.direction ?? '', consent: f.consent ?? '',
    };
    // A hold by number or agent is a lookup of a person: a DPO's action, not an admin's
    // (an admin could otherwise learn which calls a number made from what the hold keeps).
    const p = c.get('principal')!;
    if ((draft.number.trim() || draft.agent.trim()) && !can(p.roles, 'recording.personal')) {
      await log.append([{ actor: p.actor, action: 'access.denied', target: 'holds', detail: { needs: 'recording.personal', what: 'hold-by-person' } }]);
      return page(c, { draft: { ...draft, number: '', agent: '' }, error: holdsLabel(c.get('lang'), 'personalNeeded'), errorAt: 'place' }, 403);
    }
    try {
      // the same fields, with the same meaning, as the search page
      const q = toQuery(fieldsOf({ ...draft }), deps.config.phone);
      const search = holdSearchOf(deps.tokens, q);
      await addHold(store, log, c.get('principal')!.actor, {
        caseName: draft.caseName, reason: draft.reason, ids: splitIds(draft.ids), search,
        shown: { ...(q.number ? { number: q.number } : {}), ...(q.agent ? { agent: q.agent } : {}), seal: (ctx, plain) => deps.secrets.sealSecret(ctx, plain) },
      });
    } catch (e) {
      const s = status(e);
      if (s) return page(c, { draft, error: said(c, e), errorAt: 'place' }, s);
      throw e;
    }
    return c.redirect('/holds?done=placed', 303);
  });

  app.post('/deletions', async (c) => {
    const p = c.get('principal')!;
    const f = await form(c);
    const ids = splitIds(f.ids ?? '');
    try {
      await requestDeletion(store, log, p.actor, { ids, reason: f.reason ?? '', person: p.name });
    } catch (e) {
      const s = status(e);
      if (s) return page(c, { deletionDraft: { ids: f.ids ?? '', reason: f.reason ?? '' }, error: said(c, e), errorAt: 'delete' }, s);
      throw e;
    }
    if (f.back === 'recording' && ids.length === 1) return c.redirect(`/recordings/${ids[0]!.toUpperCase()}#retention`, 303);
    return c.redirect('/holds?done=deletion-requested', 303);
  });

  app.post('/:id/release', async (c) => {
    const p = c.get('principal')!;
    const f = await form(c);
    try {
      await requestHoldRelease(store, log, p.actor, c.req.param('id'), { reason: f.reason ?? '', person: p.name });
    } catch (e) {
      const s = status(e);
      if (s) return page(c, { error: said(c, e), errorAt: 'release' }, s);
      throw e;
    }
    return c.redirect('/holds?done=release-requested', 303);
  });

  return app;
}

/**
 * The recording page's "Retention" section: policy, expiry, hold (case name for
 * holds.manage), deletion request. A masked page never shows that a hold by number or
 * agent keeps this call (searchesPersonalData).
 */
export function recordingRetention(store: IndexStore, p: Principal, id: string): RecordingRetention | undefined {
  let w: ReturnType<typeof whyStillHere>;
  try {
    w = whyStillHere(store, id, Date.now());
  } catch {
    return undefined;
  }
  if (w.state !== 'kept') return undefined;
  if (w.hold && !can(p.roles, 'recording.personal')) {
    const row = store.recordings.get(id);
    w = { ...w, hold: row ? heldBy(store, row, activeHolds(store).filter((h) => !searchesPersonalData(h))) : null };
  }
  const manage = can(p.roles, 'holds.manage');
  const pending = pendingApprovals(store).find((a) => a.kind === DELETE_KIND && Array.isArray(a.payload.ids) && (a.payload.ids as string[]).includes(id));
  return {
    id, policy: w.policy, expiresAt: w.expiresAt, due: w.due, awaitingClock: w.awaitingClock,
    hold: w.hold ? { id: w.hold, caseName: manage ? (getHold(store, w.hold)?.caseName ?? null) : null } : null,
    canRequestDelete: manage, pendingDeletion: pending?.id ?? null, holdsMasked: !can(p.roles, 'recording.personal'),
  };
}
