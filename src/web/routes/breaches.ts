import { Hono } from 'hono';
import { parseDateBound } from '../../core/dates.ts';
import type { BreachRow } from '../../store/index.ts';
import {
  assessBreach, breachNotice, breachNoticePdf, closeBreach, getBreach, notificationDue, notifyBreach, recordBreach,
} from '../../privacy/index.ts';
import { breachesPage, breachPage, type BreachSummary } from '../../../views/breaches.ts';
import type { AppDeps } from '../app.ts';
import { privacyDepsOf } from '../privacy-deps.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal } from '../errors.ts';
import { form, pageCtx } from '../page.ts';
import { requirePermission } from '../session.ts';

/** One breach as the list and the dashboard show it: times, risk and state, nothing sealed. */
export function breachSummary(r: BreachRow, now = Date.now()): BreachSummary {
  const due = notificationDue(r);
  return { id: r.id, noticedAt: r.noticedAt, risk: r.risk, state: r.state, msLeft: due ? due.by - now : null, authorityNotifiedAt: r.authorityNotifiedAt };
}

const langOf = (v: string | undefined): 'de' | 'en' => (v === 'de' ? 'de' : 'en');

/**
 * /privacy/breaches (Art. 33/34, issue 14 item 4): for the dpo (privacy.requests). Reading
 * a breach's facts opens sealed text that may name people: the view is logged first.
 */
export function breachRoutes(deps: AppDeps) {
  const { site, config } = deps;
  const { store, log } = site;
  const privacy = privacyDepsOf(deps);
  const app = new Hono<WebEnv>();
  const guard = requirePermission(log, 'privacy.requests');
  for (const p of ['/breaches', '/breaches/*']) app.use(p, guard);
  const actor = (c: Ctx) => c.get('principal')!.actor;
  const settings = { controller: config.privacy.controller, dpo: config.privacy.dpo };

  const list = (c: Ctx, error?: string, status = 200) => {
    const now = Date.now();
    const all = store.breaches.list();
    return c.html(breachesPage(pageCtx(c), {
      open: all.filter((r) => r.state === 'open').map((r) => breachSummary(r, now)),
      closed: all.filter((r) => r.state === 'closed').map((r) => breachSummary(r, now)),
      ...(error ? { error } : {}),
    }), status as 200);
  };

  /** the breach, or the refusal an unknown id gets */
  function found(id: string, lang: 'de' | 'en'): BreachRow | NonNullable<ReturnType<typeof refusal>> {
    try {
      return getBreach(privacy, id);
    } catch (e) {
      const s = refusal(e, lang);
      if (!s) throw e;
      return s;
    }
  }

  async function detail(c: Ctx, id: string, error?: string, status = 200) {
    const r = found(id, c.get('lang'));
    if ('status' in r) return list(c, r.message, r.status);
    await log.append([{ actor: actor(c), action: 'breach.viewed', target: `breach:${id}`, detail: {} }]);
    const lang = pageCtx(c).lang;
    return c.html(breachPage(pageCtx(c), { ...breachSummary(r), subjectsNotifiedAt: r.subjectsNotifiedAt, notice: breachNotice(privacy, r, settings, lang) }, error), status as 200);
  }

  // an empty field is 0; anything else goes to recordBreach, which checks it (a whole number ≥ 0)
  const num = (v: string | undefined) => (v === undefined || v.trim() === '' ? 0 : Number(v));

  app.get('/breaches', (c) => list(c));
  app.post('/breaches', async (c) => {
    const f = await form(c);
    try {
      const r = await recordBreach(privacy, actor(c), {
        noticedAt: parseDateBound(f.noticedAt ?? '', 'start', 'noticedAt'),
        nature: f.nature, categories: f.categories, consequences: f.consequences, measures: f.measures,
        subjectsEstimate: num(f.subjectsEstimate), recordsEstimate: num(f.recordsEstimate),
        callIds: (f.callIds ?? '').split(/[\s,]+/).filter(Boolean),
      });
      return c.redirect(`/privacy/breaches/${r.id}`, 303);
    } catch (e) {
      const s = refusal(e, c.get('lang'));
      if (!s) throw e;
      return list(c, s.message, s.status);
    }
  });
  app.get('/breaches/:id', (c) => detail(c, c.req.param('id')));

  const steps: Record<string, (id: string, f: Record<string, string>, by: string) => Promise<unknown>> = {
    assess: (id, f, by) => assessBreach(privacy, by, id, { risk: f.risk ?? '' }),
    notify: (id, f, by) => notifyBreach(privacy, by, id, { to: f.to ?? '', at: parseDateBound(f.at ?? '', 'start', 'at'), ...(f.delayReason ? { delayReason: f.delayReason } : {}) }),
    close: (id, f, by) => closeBreach(privacy, by, id, { note: f.note ?? '' }),
  };
  for (const [step, run] of Object.entries(steps)) {
    app.post(`/breaches/:id/${step}`, async (c) => {
      const id = c.req.param('id');
      const f = await form(c);
      try {
        await run(id, f, actor(c));
      } catch (e) {
        const s = refusal(e, c.get('lang'));
        if (!s) throw e;
        return detail(c, id, s.message, s.status);
      }
      return c.redirect(`/privacy/breaches/${id}`, 303);
    });
  }

  app.get('/breaches/:id/notice.pdf', async (c) => {
    const id = c.req.param('id');
    const r = found(id, c.get('lang'));
    if ('status' in r) return c.text(r.message, r.status);
    const lang = langOf(c.req.query('lang'));
    await log.append([{ actor: actor(c), action: 'breach.notice.exported', target: `breach:${id}`, detail: { lang } }]);
    const pdf = await breachNoticePdf(privacy, r, settings, lang);
    return c.body(pdf as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/pdf', 'Content-Disposition': `attachment; filename="breach-notice-${id}-${lang}.pdf"` });
  });
  return app;
}
