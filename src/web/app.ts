import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config/index.ts';
import type { Site } from '../site/open.ts';
import type { Archive } from '../archive/index.ts';
import type { Media } from '../media/index.ts';
import type { Auth } from '../auth/index.ts';
import type { Access } from '../access/index.ts';
import { isTresorError } from '../core/errors.ts';
import type { IngestStatus } from '../ingest/types.ts';
import { errorPage } from '../../views/layout.ts';
import type { WebEnv } from './env.ts';
import { logApi } from './log-api.ts';
import { csrfGuard, sameOriginReads, securityHeaders } from './security.ts';
import { badBody } from './page.ts';
import { identify, isApi, requirePermission } from './session.ts';
import { favicon, staticFiles } from './static.ts';
import { pageCtx } from './page.ts';
import { loginRoutes } from './routes/login.ts';
import { healthRoutes } from './routes/health.ts';
import { recordingRoutes } from './routes/recordings.ts';
import { apiRoutes } from './routes/api.ts';
import { adminRoutes } from './routes/admin.ts';
import { accountRoutes } from './routes/account.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { logViewerRoutes } from './routes/log-viewer.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { retentionRoutes } from './routes/retention.ts';
import { holdRoutes } from './routes/holds.ts';

export interface AppDeps {
  config: Config;
  site: Site;
  archive: Archive;
  /** for WAV downloads; null where ffmpeg is not wired (tests of pages only) */
  media: Media | null;
  auth: Auth;
  access: Access;
  ingestStatus(): IngestStatus;
}

/**
 * The HTTP face of the appliance: console pages (htmx), the JSON API, health and
 * metrics. Middleware order matters: headers wrap everything; the body limit comes
 * before anything parses a body; identity before the CSRF guard (which needs the
 * session's token); permission checks per route.
 */
export function createApp(deps: AppDeps): Hono<WebEnv> {
  const { config, site } = deps;
  const tls = !!(config.web.tlsCert && config.web.tlsKey);
  const app = new Hono<WebEnv>();
  app.use('*', securityHeaders({ tls }));
  const limit = bodyLimit({
    maxSize: config.web.maxBodyKiB * 1024,
    onError: (c) => c.text(`Request body too large (limit ${config.web.maxBodyKiB} KiB).`, 413),
  });
  // A chunked body is read here; one the client aborts half-way is its fault (400), not ours.
  app.use('*', async (c, next) => {
    let passed = false;
    try {
      return await limit(c, () => {
        passed = true;
        return next();
      });
    } catch (e) {
      if (passed) throw e;
      throw badBody(e);
    }
  });
  app.route('/static', staticFiles());
  app.route('/', favicon());
  app.route('/', healthRoutes(deps));
  app.use('*', identify(deps.auth, site.log, { tls }));
  app.use('*', csrfGuard({ tls, publicOrigin: config.web.publicOrigin, bind: (nonce, address) => site.keys.token('csrf-pre-login', `${nonce}\0${address}`) }));
  app.use('*', sameOriginReads(site.log));

  app.route('/', loginRoutes(deps, { tls, sessionMaxHours: config.auth.sessionMaxHours }));
  // The API reads; it changes nothing (issue 16: state-changing API routes are explicit and
  // few — today there are none, so every change goes through a person in the console).
  app.use('/api/*', async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return c.json({ error: 'the API is read-only: use GET (changes are made in the console)' }, 405, { Allow: 'GET, HEAD' });
  });
  app.use('/api/log/*', requirePermission(site.log, 'log.read'));
  app.route('/api/log', logApi(site.log));
  app.route('/api', apiRoutes(deps));
  app.route('/recordings', recordingRoutes(deps));
  app.route('/admin', adminRoutes(deps));
  app.route('/account', accountRoutes(deps));
  app.route('/log', logViewerRoutes(deps));
  app.route('/approvals', approvalRoutes(deps));
  app.route('/retention', retentionRoutes(deps));
  app.route('/holds', holdRoutes(deps));
  app.route('/', dashboardRoutes(deps));

  app.notFound((c) => {
    if (isApi(c.req.path)) return c.json({ error: 'no such endpoint' }, 404);
    const ctx = pageCtx(c as never);
    return c.html(errorPage(ctx, ctx.t('common.notFound'), c.req.path), 404);
  });
  app.onError(async (e, c) => {
    const status = isTresorError(e, 'E_FORBIDDEN') ? 403 : isTresorError(e, 'E_NOT_FOUND') ? 404 : isTresorError(e, 'E_USAGE') ? 400 : 500;
    const message = status === 500 ? 'internal error' : e.message;
    if (status === 500) process.stderr.write(`tresor: web ${c.req.method} ${c.req.path}: ${(e as Error).stack ?? e}\n`);
    if (isApi(c.req.path)) return c.json({ error: message }, status);
    // The error page must never throw itself (it once did for a request that failed
    // before the identity middleware ran): plain text is the last resort.
    try {
      const ctx = pageCtx(c as never);
      return await c.html(errorPage(ctx, status === 403 ? ctx.t('common.forbidden') : status === 404 ? ctx.t('common.notFound') : ctx.t('common.error'), message), status);
    } catch {
      return c.text(message, status);
    }
  });
  return app;
}
