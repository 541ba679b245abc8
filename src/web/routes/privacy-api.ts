import { Hono, type Context } from 'hono';
import { TresorError } from '../../core/errors.ts';
import { parseDateBound } from '../../core/dates.ts';
import type { AppDeps } from '../app.ts';
import type { WebEnv } from '../env.ts';
import { requirePermission } from '../session.ts';
import { jsonBody } from '../page.ts';
import { erasureAnswer, readErasureCertificate, requestErasure, addObjection, listObjections, objectionView, findSubject, listRequests, openRequest, requestView, verifyIdentity, type PrivacyDeps } from '../../privacy/index.ts';

/**
 * The privacy API (issue 11; bearer token of a `dpo`): subject lookup and the request
 * register. The only API routes that change state, listed in PRIVACY_API_WRITES, which
 * app.ts lets through its read-only guard for Bearer tokens only (no console cookie: no
 * CSRF surface).
 */
export const PRIVACY_API_WRITES: readonly RegExp[] = [/^\/api\/requests$/, /^\/api\/requests\/[^/]+\/(verify|erasure)$/, /^\/api\/objections$/];

export function privacyApi(deps: AppDeps) {
  const { site, config } = deps;
  const privacy: PrivacyDeps = {
    store: site.store, log: site.log, phone: config.phone,
    keys: { tokenize: deps.tokens.tokenize, sealSecret: deps.secrets.sealSecret, openSecret: deps.secrets.openSecret },
  };
  const app = new Hono<WebEnv>();
  // per path, not '*': this sub-app is mounted on /api next to the others, and a '*'
  // middleware here would guard every /api route
  const guard = requirePermission(site.log, 'privacy.requests');
  for (const p of ['/subjects', '/requests', '/requests/*', '/objections']) app.use(p, guard);
  const actor = (c: Context<WebEnv>) => c.get('principal')!.actor;

  app.get('/subjects', async (c) => {
    const q = c.req.query();
    const unknown = Object.keys(q).filter((k) => k !== 'number' && k !== 'customerId');
    if (unknown.length) throw new TresorError('E_INVALID', `unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')} (known: number, customerId)`);
    return c.json(await findSubject(privacy, actor(c), { number: q.number || undefined, customerId: q.customerId || undefined }));
  });

  app.post('/requests', async (c) => {
    const b = await jsonBody(c);
    const known = ['kind', 'number', 'customerId', 'receivedAt', 'channel'];
    const unknown = Object.keys(b).filter((k) => !known.includes(k));
    if (unknown.length) throw new TresorError('E_INVALID', `unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`);
    const receivedAt = b.receivedAt === undefined || b.receivedAt === null ? undefined
      : typeof b.receivedAt === 'string' ? parseDateBound(b.receivedAt, 'start', 'receivedAt')
      : (() => { throw new TresorError('E_INVALID', 'receivedAt is a date (2026-11-27) or an RFC 3339 time'); })();
    const r = await openRequest(privacy, actor(c), {
      kind: b.kind as string, number: b.number as string | undefined, customerId: b.customerId as string | undefined,
      receivedAt, channel: b.channel as string | undefined,
    });
    return c.json(requestView(r), 201);
  });

  app.get('/requests', (c) => {
    const state = c.req.query('state');
    if (state !== undefined && state !== 'open' && state !== 'overdue') throw new TresorError('E_INVALID', 'state is open or overdue');
    const items = listRequests(privacy, { open: state === 'open', overdue: state === 'overdue' }).map((r) => requestView(r));
    return c.json({ items });
  });

  app.post('/requests/:id/verify', async (c) => {
    const b = await jsonBody(c);
    const r = await verifyIdentity(privacy, actor(c), c.req.param('id'), { method: b.method as string });
    return c.json(requestView(r));
  });
  // issue 11 #5: the do-not-record register; the answer counts the subject's archived calls (a DPO task)
  app.post('/objections', async (c) => {
    const b = await jsonBody(c);
    const known = ['number', 'customerId', 'scope', 'requestId'];
    const unknown = Object.keys(b).filter((k) => !known.includes(k));
    if (unknown.length) throw new TresorError('E_INVALID', `unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`);
    const { row, existingCalls } = await addObjection(privacy, actor(c), {
      number: b.number as string | undefined, customerId: b.customerId as string | undefined, scope: b.scope as string, requestId: b.requestId as string | undefined,
    });
    return c.json({ ...objectionView(row), existingCalls }, 201);
  });

  // Art. 17: the first pair of eyes; a second dpo/admin approves with POST /api/approvals/:id/approve
  app.post('/requests/:id/erasure', async (c) => {
    const text = await c.req.text();
    let b: Record<string, unknown> = {};
    if (text.trim()) {
      try {
        b = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new TresorError('E_INVALID', 'the body must be JSON, e.g. {"confirmMass": true}');
      }
    }
    const unknown = Object.keys(b ?? {}).filter((k) => k !== 'confirmMass' && k !== 'reason');
    if (unknown.length) throw new TresorError('E_INVALID', `unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (known: confirmMass, reason)`);
    const p = c.get('principal')!;
    const { approval, plan } = await requestErasure(privacy, p.actor, c.req.param('id'), {
      person: p.name, confirmMass: b.confirmMass === true, reason: typeof b.reason === 'string' ? b.reason : undefined, maxCalls: config.privacy.maxErasureCalls,
    });
    return c.json(erasureAnswer(approval.id, plan), 201);
  });

  // the erasure certificate (no personal data): JSON, or the PDF for the letter
  for (const ext of ['json', 'pdf'] as const) {
    app.get(ext === 'json' ? '/requests/:id/certificate' : '/requests/:id/certificate.pdf', async (c) => {
      const bytes = await readErasureCertificate(config.dataDir, c.req.param('id'), ext);
      return c.body(new Uint8Array(bytes), 200, { 'Content-Type': ext === 'json' ? 'application/json' : 'application/pdf', 'Cache-Control': 'no-store' });
    });
  }

  app.get('/objections', (c) => c.json({ items: listObjections(privacy).map(objectionView) }));
  return app;
}

