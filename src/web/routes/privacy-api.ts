import { Hono, type Context } from 'hono';
import { TresorError } from '../../core/errors.ts';
import { parseDateBound } from '../../core/dates.ts';
import type { AppDeps } from '../app.ts';
import { privacyDepsOf } from '../privacy-deps.ts';
import type { WebEnv } from '../env.ts';
import { requirePermission } from '../session.ts';
import { jsonBody } from '../page.ts';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Config } from '../../config/index.ts';
import { excludeFromPackage, openPackageZip, packageDraft, releasePackage, type PackageSettings, type ReleaseResult } from '../../privacy/index.ts';
import { erasureAnswer, readErasureCertificate, requestErasure, addObjection, listObjections, objectionView, findSubject, listRequests, openRequest, requestView, verifyIdentity } from '../../privacy/index.ts';

/**
 * The privacy API (issue 11; bearer token of a `dpo`): subject lookup and the request
 * register. The only API routes that change state, listed in PRIVACY_API_WRITES, which
 * app.ts lets through its read-only guard for Bearer tokens only (no console cookie: no
 * CSRF surface).
 */
export const PRIVACY_API_WRITES: readonly RegExp[] = [/^\/api\/requests$/, /^\/api\/requests\/[^/]+\/(verify|erasure|package\/exclusions|package\/release)$/, /^\/api\/objections$/];

/** What the Art. 15 package takes from the configuration (console and API alike). */
export function packageSettings(config: Config): PackageSettings {
  return { dataDir: config.dataDir, controller: config.privacy.controller, dpo: config.privacy.dpo, purposes: config.privacy.purposes, agentNames: config.privacy.packageAgentNames };
}

/** The released ZIP as a download, streamed (100 calls are hundreds of MB); the access is logged first. */
export async function packageZipResponse(deps: Pick<AppDeps, 'site' | 'config'>, actor: string, id: string): Promise<Response> {
  const z = await openPackageZip({ store: deps.site.store, log: deps.site.log }, actor, deps.config.dataDir, id);
  return new Response(Readable.toWeb(createReadStream(z.path)) as ReadableStream, {
    headers: {
      'Content-Type': 'application/zip', 'Content-Length': String(z.bytes),
      'Content-Disposition': `attachment; filename="package-${z.id}.zip"`, 'Cache-Control': 'no-store, private',
    },
  });
}

/** The release's answer: the files and the proof's place; the password only here, once. */
export function releaseView(r: ReleaseResult, id: string) {
  return {
    request: id, calls: r.calls, withheld: r.withheld, files: r.files, exportSeq: r.exportSeq, checkpointSize: r.checkpointSize,
    zip: { href: `/api/requests/${id}/package.zip`, bytes: r.zipBytes, encrypted: r.password !== undefined }, ...(r.password ? { password: r.password } : {}),
  };
}

export function privacyApi(deps: AppDeps) {
  const { site, config } = deps;
  const privacy = privacyDepsOf(deps);
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

  // Art. 15: the draft, a call withheld (Art. 15(4)), the release, the ZIP
  app.get('/requests/:id/package', (c) => c.json(packageDraft(privacy, c.req.param('id').toUpperCase())));
  app.post('/requests/:id/package/exclusions', async (c) => {
    const b = await jsonBody(c);
    const known = ['callId', 'reason', 'note'];
    const unknown = Object.keys(b).filter((k) => !known.includes(k));
    if (unknown.length) throw new TresorError('E_INVALID', `unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`);
    if (b.note !== undefined && typeof b.note !== 'string') throw new TresorError('E_INVALID', 'note is a text');
    const id = c.req.param('id').toUpperCase();
    await excludeFromPackage(privacy, actor(c), id, { callId: b.callId as string, reason: b.reason as string, note: b.note as string | undefined });
    return c.json(packageDraft(privacy, id), 201);
  });
  app.post('/requests/:id/package/release', async (c) => {
    const text = await c.req.text();
    let b: Record<string, unknown> = {};
    if (text.trim()) {
      try {
        b = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new TresorError('E_INVALID', 'the body must be JSON, e.g. {"wav": true, "password": true}');
      }
    }
    if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new TresorError('E_INVALID', 'the body must be a JSON object');
    const known = ['wav', 'password', 'lang'];
    const unknown = Object.keys(b).filter((k) => !known.includes(k));
    if (unknown.length) throw new TresorError('E_INVALID', `unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`);
    for (const k of ['wav', 'password'] as const) if (b[k] !== undefined && typeof b[k] !== 'boolean') throw new TresorError('E_INVALID', `${k} is true or false (a password is generated, never chosen)`);
    if (b.lang !== undefined && b.lang !== 'de' && b.lang !== 'en') throw new TresorError('E_INVALID', 'lang is de or en');
    if (b.wav === true && !deps.media) throw new TresorError('E_FFMPEG_MISSING', 'WAV conversion is not available on this server');
    const id = c.req.param('id').toUpperCase();
    const r = await releasePackage({ ...privacy, log: site.log, access: deps.access }, c.get('principal')!, id, {
      lang: b.lang as 'de' | 'en' | undefined, wav: b.wav === true ? deps.media! : undefined, password: b.password === true, settings: packageSettings(config),
    });
    return c.json(releaseView(r, id), 201);
  });
  app.get('/requests/:id/package.zip', (c) => packageZipResponse(deps, actor(c), c.req.param('id')));

  app.get('/objections', (c) => c.json({ items: listObjections(privacy).map(objectionView) }));
  return app;
}

