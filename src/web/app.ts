import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config/index.ts';
import type { Site } from '../site/open.ts';
import type { Archive } from '../archive/index.ts';
import type { Media } from '../media/index.ts';
import type { Auth, SecretSealer } from '../auth/index.ts';
import type { Access } from '../access/index.ts';
import { isTresorError, TresorError } from '../core/errors.ts';
import type { IngestStatus } from '../ingest/types.ts';
import type { ApprovalRegistry } from '../approvals/index.ts';
import type { QuarantineConsole } from '../ingest/quarantine-console.ts';
import type { Keyring, Tokenizer } from '../crypto/index.ts';
import type { WebEnv } from './env.ts';
import { errorResponse } from './errors.ts';
import { logApi } from './log-api.ts';
import { csrfGuard, sameOriginReads, securityHeaders } from './security.ts';
import { badBody } from './page.ts';
import { identify, isApi, requirePermission } from './session.ts';
import { favicon, staticFiles } from './static.ts';
import { loginRoutes } from './routes/login.ts';
import { healthRoutes } from './routes/health.ts';
import { recordingRoutes } from './routes/recordings.ts';
import { apiRoutes } from './routes/api.ts';
import type { Alerts } from '../alerts/index.ts';
import { approvalsApi, APPROVALS_API_WRITES } from './routes/approvals-api.ts';
import { privacyApi, PRIVACY_API_WRITES } from './routes/privacy-api.ts';
import { consentApi, CONSENT_API_WRITES } from './routes/consent-api.ts';
import { speechApi, SPEECH_API_WRITES } from './routes/speech-api.ts';
import type { SpeechReviewOps } from '../speech/index.ts';
import { rightsApi, RIGHTS_API_WRITES } from './routes/rights-api.ts';
import type { EventOutcome } from '../consent/index.ts';
import { adminRoutes } from './routes/admin.ts';
import { accountRoutes } from './routes/account.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { logViewerRoutes } from './routes/log-viewer.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { retentionRoutes } from './routes/retention.ts';
import { holdRoutes } from './routes/holds.ts';
import { privacyRoutes, publicPrivacyRoutes } from './routes/privacy.ts';
import { breachRoutes } from './routes/breaches.ts';
import { objectionRoutes } from './routes/objections.ts';
import { recordingRightsRoutes } from './routes/recording-rights.ts';

/**
 * The web layer never holds the keyring (DESIGN §2: crypto hands out operations): it gets
 * the site without its keys, and the few key operations its routes need, one by one.
 */
export interface AppDeps {
  config: Config;
  site: Omit<Site, 'keys'>;
  /** keyed lookup tokens: the CSRF pre-login binding, holds by number or agent */
  tokens: Tokenizer;
  /** seals a TOTP secret at enrolment (src/auth/sealed.ts); sealFor: request keys only (src/privacy/request-key.ts requestKeySealer) */
  secrets: SecretSealer & { sealFor?: Keyring['sealFor'] };
  /** quarantined content: personal details and retry (src/ingest/quarantine-console.ts) */
  quarantine: QuarantineConsole;
  archive: Archive;
  /** for WAV downloads; null where ffmpeg is not wired (tests of pages only) */
  media: Media | null;
  auth: Auth;
  access: Access;
  /** the four-eyes executors, registered by their owners at wiring (src/site/approvals.ts) */
  approvals: ApprovalRegistry;
  ingestStatus(): IngestStatus;
  /**
   * Rectification of a call's personal metadata (GDPR Art. 16, src/privacy/rectify.ts): it
   * opens and re-seals under the call's own data key, so the composition root binds the
   * keyring into this one operation instead of handing the web layer key operations
   */
  rectify(actor: string, id: string, o: { field: string; value: string; statement?: string; requestId?: string }): Promise<void>;
  /** POST /api/consent (issue 12): applies or parks a consent event; absent where not wired */
  consentEvent?: (actor: string, body: Record<string, unknown>) => Promise<EventOutcome>;
  /** issue 12 #5: confirming or dismissing advisory speech findings (key operations closed over); absent where not wired */
  speech?: SpeechReviewOps;
  /** issue 14: the running alerting (rule inputs and channel health for /metrics and the dashboard); absent where not wired */
  alerts?: Pick<Alerts, 'lastInputs' | 'channelHealth'>;
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
    onError: () => {
      throw new TresorError('E_TOO_LARGE', `Request body too large (limit ${config.web.maxBodyKiB} KiB).`);
    },
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
      if (passed || isTresorError(e, 'E_TOO_LARGE')) throw e;
      throw badBody(e);
    }
  });
  app.route('/static', staticFiles());
  app.route('/', favicon());
  app.route('/', healthRoutes(deps));
  app.use('*', identify(deps.auth, site.log, { tls }));
  app.use('*', csrfGuard({ tls, publicOrigin: config.web.publicOrigin, bind: (nonce, address) => deps.tokens.tokenize('csrf-pre-login', `${nonce}\0${address}`) }));
  app.use('*', sameOriginReads(site.log));

  app.route('/', loginRoutes(deps, { tls, sessionMaxHours: config.auth.sessionMaxHours }));
  // The API reads; it changes nothing (issue 16: state-changing API routes are explicit and
  // few — today there are none, so every change goes through a person in the console).
  app.use('/api/*', async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    // issue 11: the privacy register is written by integrations (ticket systems) too, with a
    // dpo's Bearer token; a console cookie never writes through the API
    if (c.req.method === 'POST' && c.req.header('Authorization')?.startsWith('Bearer ') && [...PRIVACY_API_WRITES, ...CONSENT_API_WRITES, ...APPROVALS_API_WRITES, ...SPEECH_API_WRITES, ...RIGHTS_API_WRITES].some((r) => r.test(c.req.path))) return next();
    throw new TresorError('E_READ_ONLY', 'the API is read-only: use GET (changes are made in the console)', { detail: { allow: 'GET, HEAD' } });
  });
  app.use('/api/log/*', requirePermission(site.log, 'log.read'));
  app.route('/api/log', logApi(site.log));
  app.route('/api', privacyApi(deps));
  app.route('/api', rightsApi(deps));
  app.route('/api', approvalsApi(deps));
  app.route('/api', consentApi(deps));
  app.route('/api', speechApi(deps));
  app.route('/api', apiRoutes(deps));
  app.route('/recordings', recordingRightsRoutes(deps));
  app.route('/recordings', recordingRoutes(deps));
  app.route('/admin', adminRoutes(deps));
  app.route('/account', accountRoutes(deps));
  app.route('/log', logViewerRoutes(deps));
  app.route('/approvals', approvalRoutes(deps));
  app.route('/retention', retentionRoutes(deps));
  app.route('/holds', holdRoutes(deps));
  // issue 11: /privacy is public (Art. 13 notice, no sign-in); the workbench below it is dpo only
  app.route('/', publicPrivacyRoutes(deps));
  app.route('/privacy', privacyRoutes(deps));
  app.route('/privacy', breachRoutes(deps));
  app.route('/privacy', objectionRoutes(deps));
  app.route('/', dashboardRoutes(deps));

  // one error path (src/web/errors.ts): the code decides the status, the API gets JSON,
  // the console a page in the reader's language
  app.notFound((c) => errorResponse(c, new TresorError('E_NOT_FOUND', isApi(c.req.path) ? 'no such endpoint' : c.req.path)));
  app.onError((e, c) => errorResponse(c, e));
  return app;
}
