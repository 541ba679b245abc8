import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openSite, type Site } from '../../src/site/open.ts';
import type { Alerts } from '../../src/alerts/index.ts';
import { openArchive, type Archive } from '../../src/archive/index.ts';
import { createMedia, resolveFfmpeg, type Media, type MediaOptions } from '../../src/media/index.ts';
import { createIngest } from '../../src/ingest/pipeline.ts';
import { ingestGates, siteConsentStep } from '../../src/site/wire.ts';
import type { IngestOutcome } from '../../src/ingest/types.ts';
import { addUser, createAuth, type Auth, type Role } from '../../src/auth/index.ts';
import { createAccess, type Access } from '../../src/access/index.ts';
import { createApp } from '../../src/web/app.ts';
import { expirePending, receiveEvent } from '../../src/consent/index.ts';
import { approvalRegistry } from '../../src/site/approvals.ts';
import { quarantineConsole } from '../../src/ingest/quarantine-console.ts';
import { rectifyRecording } from '../../src/privacy/index.ts';
import type { Config } from '../../src/config/index.ts';
import { testConfig } from './site.ts';
import { requestKeySealer } from '../../src/privacy/index.ts';
import { makeAudio, type AudioOptions } from './audio.ts';
import { speechReviewOps } from '../../src/speech/index.ts';

/**
 * A whole console in one process on a real data dir (real LMDB, real archive, real
 * ffmpeg), for `app.request()` tests. Requests go through every middleware the service
 * uses; only the TCP socket is missing.
 */
export interface WebSite {
  config: Config;
  site: Site;
  archive: Archive;
  media: Media;
  auth: Auth;
  access: Access;
  app: ReturnType<typeof createApp>;
  /** ingests a generated call; the file name carries the metadata (FreePBX style) */
  ingestCall(name: string, audio?: Partial<AudioOptions>, sidecar?: Record<string, unknown>): Promise<string>;
  /** the same pipeline for a file the test made itself */
  ingestPath(path: string): Promise<IngestOutcome>;
  close(): Promise<void>;
}

export const PASSWORD = 'correct horse battery staple';
export const ORIGIN = 'http://tresor.test';

export async function webSite(over: (c: Config) => void = () => {}, mediaOptions: Partial<MediaOptions> = {}, opts: { alerts?: Alerts } | ((site: Site, config: Config) => { alerts?: Alerts }) = {}): Promise<WebSite> {
  const config = testConfig();
  over(config);
  const site = openSite(config, { create: true });
  const archive = openArchive(config.dataDir, site.store);
  const media = createMedia(await resolveFfmpeg(config.ffmpeg), { timeoutMs: 60_000, stallMs: 20_000, ...mediaOptions });
  const auth = createAuth(site.store, site.log, {
    idleMs: config.auth.sessionIdleMinutes * 60_000, absoluteMs: config.auth.sessionMaxHours * 3600_000,
    requireTotpForPrivileged: config.auth.requireTotpForPrivileged, secrets: site.keys,
  });
  const access = createAccess({ store: site.store, keys: site.keys, archive, log: site.log });
  const status = () => ({ scannerRunning: true, queue: { queued: 0, active: 0, done: {} }, recovery: { truncated: [], damaged: [], unknownFiles: [] }, rejected: [] });
  const { keys, ...keyless } = site;
  const extra = typeof opts === 'function' ? opts(site, config) : opts;
  const app = createApp({
    ...(extra.alerts ? { alerts: extra.alerts } : {}),
    config, site: keyless, archive, media, auth, access, approvals: approvalRegistry(site, config), ingestStatus: status as never,
    tokens: { tokenize: keys.tokenize }, secrets: { sealSecret: keys.sealSecret, openSecret: keys.openSecret, sealFor: requestKeySealer(keys) },
    quarantine: quarantineConsole({ config, store: site.store, keys, archive, log: site.log, media, gates: ingestGates(config, site) }),
    speech: speechReviewOps({ store: site.store, log: site.log, keys, phrases: config.speech.phrases }),
    rectify: (actor, id, o) => rectifyRecording({ store: site.store, log: site.log, keys, phone: config.phone }, actor, id, o),
    consentEvent: async (actor, body) => {
      const d = { store: site.store, log: site.log, keys, pendingHours: config.consent.pendingHours };
      await expirePending(d);
      return receiveEvent(d, actor, body);
    },
  });
  const ingest = createIngest({ config: { ...config, ingest: { ...config.ingest, disposition: 'keep' } }, store: site.store, keys: site.keys, archive, log: site.log, media, gates: ingestGates(config, site), consent: siteConsentStep(config, site) });
  const work = mkdtempSync(join(tmpdir(), 'tresor-calls-'));
  let seed = 1;
  return {
    config, site, archive, media, auth, access, app,
    ingestPath: (path) => ingest.ingestFile({ path, relPath: basename(path), sidecarPath: null }),
    async ingestCall(name, audio = {}, sidecar) {
      const path = await makeAudio(work, name, { format: 'wav-pcm8k', seconds: 4, seed: seed++, ...audio });
      let side: string | null = null;
      if (sidecar) {
        side = path.replace(/\.[^.]+$/, '.json');
        writeFileSync(side, JSON.stringify(sidecar));
      }
      const o: IngestOutcome = await ingest.ingestFile({ path, relPath: name, sidecarPath: side });
      if (o.status !== 'archived') throw new Error(`ingest of ${name}: ${JSON.stringify(o)}`);
      return o.id;
    },
    async close() {
      await archive.close();
      await site.close();
    },
  };
}

export async function makeUser(w: WebSite, name: string, roles: Role[]): Promise<void> {
  await addUser(w.site.store, w.site.log, 'cli:test', { name, roles, password: PASSWORD });
}

/** A signed-in browser: its cookie jar and the session's CSRF token. */
export interface Browserish {
  cookie: string;
  csrf: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** a list value is sent as repeated fields (checkboxes) */
  post(path: string, fields?: Record<string, string | string[]>, headers?: Record<string, string>): Promise<Response>;
}

function mergeCookies(jar: Map<string, string>, res: Response): void {
  for (const sc of res.headers.getSetCookie()) {
    const [pair] = sc.split(';');
    const i = pair!.indexOf('=');
    const k = pair!.slice(0, i);
    const v = pair!.slice(i + 1);
    if (/Max-Age=0/i.test(sc) || v === '') jar.delete(k);
    else jar.set(k, v);
  }
}

/** An anonymous browser that can sign in; follows no redirects (tests look at them). */
export function browser(w: WebSite): Browserish & { login(name: string, password?: string, extra?: Record<string, string>): Promise<Response> } {
  const jar = new Map<string, string>();
  const b = {
    csrf: '',
    get cookie() {
      return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    async get(path: string, headers: Record<string, string> = {}) {
      const res = await w.app.request(path, { headers: { Host: 'tresor.test', Cookie: b.cookie, ...headers } });
      mergeCookies(jar, res);
      return res;
    },
    async post(path: string, fields: Record<string, string | string[]> = {}, headers: Record<string, string> = {}) {
      const body = new URLSearchParams({ _csrf: b.csrf });
      for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
      const res = await w.app.request(path, {
        method: 'POST',
        headers: { Host: 'tresor.test', Origin: ORIGIN, Cookie: b.cookie, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body: body.toString(),
      });
      mergeCookies(jar, res);
      return res;
    },
    /** fetches the login form (for its CSRF token), posts it, then reads the session's token */
    async login(name: string, password = PASSWORD, extra: Record<string, string> = {}) {
      const page = await b.get('/login');
      b.csrf = csrfOf(await page.text());
      const res = await b.post('/login', { name, password, ...extra });
      if (res.status === 303) b.csrf = csrfOf(await (await b.get('/account')).text());
      return res;
    },
  };
  return b;
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('page has no CSRF field');
  return m[1]!;
}
