import { Hono } from 'hono';
import { PACKAGE_EXCLUSION_REASONS, REQUEST_KINDS, type IndexStore, type RequestKind, type RequestRow } from '../../store/index.ts';
import { searchLog } from '../../audit/index.ts';
import { parseDateBound } from '../../core/dates.ts';
import { TresorError } from '../../core/errors.ts';
import { renderPdf, type PdfBlock } from '../../documents/index.ts';
import {
  closeRequest, extendRequest, findSubject, getRequest, isOpen, listRequests, openRequest, REFUSAL_INFORMATION,
  startRequest, transparencyFacts, verifyIdentity, withdrawRequest,
  certificatePath, readErasureCertificate, requestErasure, excludeFromPackage, packageDraft, releasePackage,
} from '../../privacy/index.ts';
import { packageSettings, packageZipResponse } from './privacy-api.ts';
import { existsSync } from 'node:fs';
import { erasureActions, packageActions, requestPage, requestsPage, type RequestDetail, type RequestDraft, type RequestPageData, type RequestsData, type RequestSummary } from '../../../views/privacy.ts';
import type { Html } from '../../../views/layout.ts';
import { publicPrivacyPage, recordOfProcessing, recordOfProcessingPage } from '../../../views/transparency.ts';
import type { AppDeps } from '../app.ts';
import { privacyDepsOf } from '../privacy-deps.ts';
import type { Ctx, WebEnv } from '../env.ts';
import { refusal } from '../errors.ts';
import { form, pageCtx } from '../page.ts';
import { requirePermission } from '../session.ts';

const WEEK_MS = 7 * 86400_000;

/**
 * The buttons of each kind's own workflow on the request page (section #kind-actions):
 * the access package (p3-package), erasure (p3-erasure), the objection entry (p3-objection)
 * add one line here each, rendering from their own views; a kind without an entry shows
 * the placeholder. Given the request row (ids and states, nothing unsealed).
 */
export interface KindActionExtra {
  store: IndexStore;
  /** the access package's ZIP password, on the page answering the release only (never stored) */
  password?: string;
}
export const REQUEST_KIND_ACTIONS: Partial<Record<RequestKind, (c: Ctx, r: RequestRow, dataDir: string, x: KindActionExtra) => Html>> = {
  // Art. 15: the draft with its exclusions (Art. 15(4)), the release, then the ZIP
  access: (c, r, _dataDir, x) => {
    const d = packageDraft({ store: x.store }, r.id);
    const ready = r.state === 'identity-verified' || r.state === 'in-progress';
    return packageActions(pageCtx(c), {
      id: r.id, ready, canEdit: ready && !d.released, calls: d.calls, reasons: PACKAGE_EXCLUSION_REASONS, released: d.released, password: x.password,
    });
  },
  // Art. 17: ask (first pair of eyes); the second approves on /approvals; then the certificate
  erasure: (c, r, dataDir) => erasureActions(pageCtx(c), {
    id: r.id, canAsk: r.state === 'identity-verified' || r.state === 'in-progress', certificate: existsSync(certificatePath(dataDir, r.id, 'json')),
  }),
};

function summary(r: RequestRow, now: number): RequestSummary {
  const open = isOpen(r);
  return {
    id: r.id, kind: r.kind, state: r.state, receivedAt: r.receivedAt, dueAt: r.dueAt, channel: r.channel, open,
    overdue: open && r.dueAt < now, dueSoon: open && r.dueAt >= now && r.dueAt - now <= WEEK_MS,
  };
}

function detail(r: RequestRow, now: number): RequestDetail {
  return {
    ...summary(r, now), firstDueAt: r.firstDueAt, identifiers: r.tokens.map((t) => t.kind),
    identity: r.identity, extension: r.extension ? { months: r.extension.months, notifiedAt: r.extension.notifiedAt, by: r.extension.by, at: r.extension.at } : null,
    openedBy: r.openedBy, closedAt: r.closedAt, closedBy: r.closedBy,
  };
}

/**
 * /privacy: the public notice (Art. 13, no sign-in: callers and the IVR text need it).
 * Mounted before the workbench and guarded by nothing; it reads only the configuration's
 * contacts and the retention policies, never the register or a recording.
 */
export function publicPrivacyRoutes(deps: AppDeps) {
  const app = new Hono<WebEnv>();
  app.get('/privacy', (c) => {
    const q = c.req.query('lang');
    // ?lang=de|en: a link on a printed notice or in an e-mail picks the language without a cookie
    if (q === 'de' || q === 'en') c.set('lang', q);
    const facts = transparencyFacts(deps.config.privacy, deps.site.store);
    return c.html(publicPrivacyPage(pageCtx(c), facts));
  });
  return app;
}

/**
 * The DPO workbench (`privacy.requests`, issue 11 item 9): /privacy/requests (open requests
 * by due date, counts, lookup, register), one request's page with its transitions and its
 * timeline from the log, and the Art. 30 record (HTML and PDF). Mounted at /privacy.
 */
export function privacyRoutes(deps: AppDeps) {
  const { site, config } = deps;
  const { store, log } = site;
  const privacy = privacyDepsOf(deps);
  const app = new Hono<WebEnv>();
  // per path, not '*': '*' in a sub-app at /privacy would also guard the public /privacy
  const guard = requirePermission(log, 'privacy.requests');
  for (const p of ['/requests', '/requests/*', '/subjects', '/record-of-processing', '/record-of-processing.pdf']) app.use(p, guard);
  const actor = (c: Ctx) => c.get('principal')!.actor;

  const listPage = (c: Ctx, extra: Partial<RequestsData> = {}, status: number = 200) => {
    const now = Date.now();
    const open = listRequests(privacy, { open: true, now });
    const counts = REQUEST_KINDS.map((kind) => ({ kind, n: open.filter((r) => r.kind === kind).length }));
    const data: RequestsData = { open: open.map((r) => summary(r, now)), counts, kinds: REQUEST_KINDS, objectionsHref: '/privacy/objections', done: c.req.query('done'), ...extra };
    return c.html(requestsPage(pageCtx(c), data), status as 200);
  };

  app.get('/requests', (c) => listPage(c));

  app.post('/requests', async (c) => {
    const f = await form(c);
    const draft: RequestDraft = { kind: f.kind ?? '', number: f.number ?? '', customerId: f.customerId ?? '', received: f.received ?? '', channel: f.channel ?? '' };
    let id: string;
    try {
      const receivedAt = draft.received.trim() ? parseDateBound(draft.received, 'start', 'received') : undefined;
      const r = await openRequest(privacy, actor(c), {
        kind: draft.kind, number: draft.number.trim() || undefined, customerId: draft.customerId.trim() || undefined,
        receivedAt, channel: draft.channel.trim() || undefined,
      });
      id = r.id;
    } catch (e) {
      const s = refusal(e, c.get('lang'));
      if (s) return listPage(c, { draft, error: s.message, errorAt: 'open' }, s.status);
      throw e;
    }
    return c.redirect(`/privacy/requests/${id}?done=opened`, 303);
  });

  // POST, not GET: a number must not end up in a URL (history, proxy logs); findSubject logs the lookup first
  app.post('/subjects', async (c) => {
    const f = await form(c);
    try {
      const hits = await findSubject(privacy, actor(c), { number: f.number?.trim() || undefined, customerId: f.customerId?.trim() || undefined });
      return listPage(c, { hits, done: undefined });
    } catch (e) {
      const s = refusal(e, c.get('lang'));
      if (s) return listPage(c, { error: s.message, errorAt: 'lookup', done: undefined }, s.status);
      throw e;
    }
  });

  const requestView = (c: Ctx, id: string, extra: Partial<RequestPageData> = {}, status: number = 200, password?: string) => {
    const r = getRequest(privacy, id.toUpperCase());
    // the timeline is the log itself (every transition wrote one entry targeting the request,
    // and so do the package, erasure and objection steps): oldest first
    const page = searchLog(site.log, store, { target: `request:${r.id}` });
    const timeline = [...page.entries].reverse();
    const data: RequestPageData = {
      request: detail(r, Date.now()), timeline, timelinePartial: page.next !== null || page.partial,
      refusalInformation: REFUSAL_INFORMATION, done: c.req.query('done'), kindActions: REQUEST_KIND_ACTIONS[r.kind]?.(c, r, config.dataDir, { store, password }), ...extra,
    };
    return c.html(requestPage(pageCtx(c), data), status as 200);
  };

  app.get('/requests/:id', (c) => requestView(c, c.req.param('id')));

  /** One transition from a form: on a refusal the page comes back with the message at its form. */
  const step = (what: NonNullable<RequestPageData['errorAt']>, run: (c: Ctx, id: string, f: Record<string, string>) => Promise<RequestRow>, done: (r: RequestRow) => string) =>
    app.post(`/requests/:id/${what}`, async (c) => {
      const id = c.req.param('id').toUpperCase();
      const f = await form(c);
      let r: RequestRow;
      try {
        r = await run(c, id, f);
      } catch (e) {
        const s = refusal(e, c.get('lang'));
        if (s && s.status !== 404) return requestView(c, id, { error: s.message, errorAt: what, done: undefined }, s.status);
        throw e;
      }
      return c.redirect(`/privacy/requests/${r.id}?done=${done(r)}`, 303);
    });

  step('verify', (c, id, f) => verifyIdentity(privacy, actor(c), id, { method: f.method ?? '' }), () => 'verified');
  step('start', (c, id) => startRequest(privacy, actor(c), id), () => 'started');
  step('extend', (c, id, f) => {
    const months = Number(f.months);
    if (!(f.notified ?? '').trim()) throw new TresorError('E_INVALID', 'the date the subject was told is required (Art. 12(3))');
    // the form gives a day: a notice sent "today" must not count as before a request received
    // this morning, nor one on a past day as before receipt that day — take the day's end,
    // never later than now; a future day stays in the future (and is refused)
    const start = parseDateBound(f.notified!, 'start', 'notified');
    const now = Date.now();
    const notifiedAt = start > now ? start : Math.min(parseDateBound(f.notified!, 'end', 'notified'), now);
    return extendRequest(privacy, actor(c), id, { months, reason: f.reason ?? '', notifiedAt, now });
  }, () => 'extended');
  step('close', (c, id, f) => closeRequest(privacy, actor(c), id, { outcome: f.outcome ?? '', reason: f.reason }), (r) => r.state);
  step('withdraw', (c, id) => withdrawRequest(privacy, actor(c), id), () => 'withdrawn');

  // Art. 17, first pair of eyes: files the four-eyes request; the second person decides on /approvals
  app.post('/requests/:id/erase', async (c) => {
    const id = c.req.param('id').toUpperCase();
    const f = await form(c);
    const p = c.get('principal')!;
    let approval: string;
    try {
      approval = (await requestErasure(privacy, p.actor, id, { person: p.name, confirmMass: f.confirmMass === '1', maxCalls: config.privacy.maxErasureCalls })).approval.id;
    } catch (e) {
      const s = refusal(e, c.get('lang'));
      if (s && s.status !== 404) return requestView(c, id, { error: s.message, errorAt: 'erase', done: undefined }, s.status);
      throw e;
    }
    return c.redirect(`/approvals?done=requested#${approval}`, 303);
  });

  // Art. 15(4): withhold one call from the access package, with a reason code (note sealed)
  app.post('/requests/:id/package/exclude', async (c) => {
    const id = c.req.param('id').toUpperCase();
    const f = await form(c);
    try {
      await excludeFromPackage(privacy, actor(c), id, { callId: f.callId ?? '', reason: f.reason ?? '', note: f.note });
    } catch (e) {
      const s = refusal(e, c.get('lang'));
      if (s && s.status !== 404) return requestView(c, id, { error: s.message, errorAt: 'package', done: undefined }, s.status);
      throw e;
    }
    return c.redirect(`/privacy/requests/${id}?done=excluded#package`, 303);
  });

  // the release: builds the package from the calls not excluded; the ZIP's password (if asked) is on this page only
  app.post('/requests/:id/package/release', async (c) => {
    const id = c.req.param('id').toUpperCase();
    const f = await form(c);
    let password: string | undefined;
    try {
      if (f.wav === '1' && !deps.media) throw new TresorError('E_FFMPEG_MISSING', 'WAV conversion is not available on this server');
      const r = await releasePackage({ ...privacy, log: site.log, access: deps.access }, c.get('principal')!, id, {
        lang: c.get('lang'), wav: f.wav === '1' ? deps.media! : undefined, password: f.protect === '1', settings: packageSettings(config),
      });
      password = r.password;
    } catch (e) {
      const s = refusal(e, c.get('lang'));
      if (s && s.status !== 404) return requestView(c, id, { error: s.message, errorAt: 'package', done: undefined }, s.status);
      throw e;
    }
    if (!password) return c.redirect(`/privacy/requests/${id}?done=released#package`, 303);
    // not a redirect: the password must not travel in a URL; this answer is not cached
    c.header('Cache-Control', 'no-store');
    return requestView(c, id, { done: 'released' }, 200, password);
  });

  app.get('/requests/:id/package.zip', (c) => packageZipResponse(deps, actor(c), c.req.param('id')));

  for (const ext of ['json', 'pdf'] as const) {
    app.get(`/requests/:id/certificate.${ext}`, async (c) => {
      const id = c.req.param('id').toUpperCase();
      const bytes = await readErasureCertificate(config.dataDir, id, ext);
      return c.body(new Uint8Array(bytes), 200, {
        'Content-Type': ext === 'pdf' ? 'application/pdf' : 'application/octet-stream',
        'Content-Disposition': `attachment; filename="erasure-${id}.${ext}"`, 'Cache-Control': 'no-store',
      });
    });
  }

  const facts = () => transparencyFacts(config.privacy, store);

  app.get('/record-of-processing', (c) => c.html(recordOfProcessingPage(pageCtx(c), facts(), new Date().toISOString())));

  app.get('/record-of-processing.pdf', async (c) => {
    const lang = c.get('lang');
    const doc = recordOfProcessing(facts(), lang);
    const blocks: PdfBlock[] = doc.sections.flatMap((s): PdfBlock[] => [
      { kind: 'heading', text: s.heading },
      ...s.paragraphs.map((text): PdfBlock => ({ kind: 'paragraph', text })),
      ...(s.table ? [{ kind: 'table', header: s.table.header, rows: s.table.rows } as PdfBlock] : []),
      { kind: 'space' },
    ]);
    const pdf = await renderPdf({ title: doc.title, lang, blocks });
    return c.body(pdf as Uint8Array<ArrayBuffer>, 200, {
      'Content-Type': 'application/pdf',
      'Content-Disposition': `attachment; filename="record-of-processing-${lang}.pdf"`,
      'Cache-Control': 'no-store',
    });
  });

  return app;
}
