import { serve, type ServerType } from '@hono/node-server';
import { relative } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Config } from './config/index.ts';
import { TresorError } from './core/errors.ts';
import { openSite, type Site } from './site/open.ts';
import { openArchive, recoverSegments, type Archive, type RecoveryReport } from './archive/index.ts';
import { resolveFfmpeg, createMedia } from './media/index.ts';
import { createIngest } from './ingest/pipeline.ts';
import { createIngestQueue, type QueueStats } from './ingest/queue.ts';
import { recoverInflight } from './ingest/recover.ts';
import { createScanner } from './ingest/scanner.ts';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createApp } from './web/app.ts';
import { createAuth, newSetupToken, setupNeeded } from './auth/index.ts';
import { createAccess } from './access/index.ts';
import { syncConfigPolicies } from './retention/policies.ts';
import { createPurgeScheduler, type PurgeScheduler } from './retention/run.ts';

export interface IngestStatus {
  scannerRunning: boolean;
  queue: QueueStats;
  recovery: RecoveryReport;
  rejected: { code: string; relPath: string; at: number }[];
}

export interface Service {
  site: Site;
  archive: Archive;
  url: string;
  auth: ReturnType<typeof createAuth>;
  purge: PurgeScheduler;
  status(): IngestStatus;
  /** resolves once every file seen so far is dealt with (tests, benchmarks) */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

type Logger = (msg: string) => void;

/**
 * The appliance: recover, then scan the inbox and ingest, and serve HTTP. The order of
 * start matters: recovery runs before anything writes, and "service.started" is logged
 * only once the archive is consistent.
 */
export async function startService(config: Config, say: Logger = (m) => console.error(m)): Promise<Service> {
  // the service is the one place besides `tresor init` that may create an archive
  const site = openSite(config, { create: true });
  const { store, log } = site;
  const ff = await resolveFfmpeg(config.ffmpeg);
  say(`tresor: ffmpeg ${ff.version} (${ff.source}: ${ff.path})`);
  const recovery = recoverSegments(config.dataDir, store);
  const inflight = recoverInflight(store);
  if (recovery.truncated.length || recovery.damaged.length || recovery.unknownFiles.length) {
    say(`tresor: recovery: ${JSON.stringify(recovery)}`);
  }
  const archive = openArchive(config.dataDir, store);
  const policyChanges = await syncConfigPolicies(store, log, config.retention.policies);
  if (policyChanges) say(`tresor: retention policies from the configuration: ${policyChanges} change(s) applied, expiries re-evaluated`);
  const media = createMedia(ff, {
    timeoutMs: config.media.timeoutSeconds * 1000, stallMs: config.media.stallSeconds * 1000, maxConcurrent: config.ingest.workers,
  });
  const ingest = createIngest({ config, store, keys: site.keys, archive, log, media });
  mkdirSync(config.inbox, { recursive: true, mode: 0o750 });

  const rejected: IngestStatus['rejected'] = [];
  const remember = (code: string, relPath: string) => {
    rejected.push({ code, relPath, at: Date.now() });
    if (rejected.length > 200) rejected.shift();
  };

  const queue = createIngestQueue(ingest, {
    workers: config.ingest.workers,
    onOutcome(file, o) {
      if (o.status === 'archived') say(`tresor: archived ${o.id} (${(o.durationMs / 1000).toFixed(1)} s)`);
      else if (o.status === 'quarantined') say(`tresor: quarantined ${o.quarantineId}: ${o.code} ${o.message}`);
      else if (o.status === 'deferred') say(`tresor: deferred (${o.code}): ${o.message}`);
      else if (o.status === 'rejected') {
        remember(o.code, file.relPath);
        say(`tresor: not taking ${file.relPath}: ${o.code} ${o.message}`);
      }
      // Deferred (disk full, time-out) and skipped files are tried again as they are; a
      // rejected or quarantined file is offered again only once its content changes, so
      // it is not reported on every scan and a corrected upload still gets in.
      if (o.status === 'deferred' || o.status === 'skipped') scanner.forget(file.path);
      else scanner.release(file.path);
    },
    onError(file, e) {
      say(`tresor: ingest of a file failed: ${(e as Error).stack ?? e}`);
      scanner.forget(file.path);
    },
  });

  const scanner = createScanner({
    inbox: config.inbox,
    settleMs: config.ingest.settleSeconds * 1000,
    intervalMs: config.ingest.scanIntervalSeconds * 1000,
    maxBytes: config.ingest.maxFileMiB * 1024 * 1024,
    onReady(f) {
      queue.push({ path: f.path, relPath: f.relPath, sidecarPath: f.sidecarPath });
    },
    onRejected(r) {
      remember(r.code, r.relPath);
      void log.append([{ actor: 'system:ingest', action: 'inbox.rejected', target: 'inbox', detail: { code: r.code } }]);
      say(`tresor: not taking ${r.relPath}: ${r.code} ${r.reason}`);
    },
    onError(e) {
      say(`tresor: inbox scan: ${e.code}: ${e.message}`);
    },
    skipDirs: config.ingest.moveTo ? [config.ingest.moveTo] : [],
  });

  await log.append([{
    actor: 'system:service', action: 'service.started', target: 'service',
    detail: { pid: process.pid, recovered: { truncated: recovery.truncated.length, damaged: recovery.damaged.length, inflight: inflight.pending } },
  }]);
  log.startCheckpointTimer(config.log.checkpointIntervalSeconds * 1000);
  const purge = createPurgeScheduler({ store, log, dataDir: config.dataDir }, config.retention, say);
  scanner.start();
  let scannerRunning = true;

  const status = (): IngestStatus => ({ scannerRunning, queue: queue.stats(), recovery, rejected: [...rejected] });
  const auth = createAuth(store, log, {
    idleMs: config.auth.sessionIdleMinutes * 60_000,
    absoluteMs: config.auth.sessionMaxHours * 3600_000,
    requireTotpForPrivileged: config.auth.requireTotpForPrivileged,
  });
  const access = createAccess({ store, keys: site.keys, archive, log });
  const app = createApp({ config, site, archive, media, auth, access, ingestStatus: status });
  const tls = config.web.tlsCert && config.web.tlsKey
    ? { createServer: createHttpsServer, serverOptions: { cert: readFileSync(config.web.tlsCert), key: readFileSync(config.web.tlsKey) } }
    : {};
  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port, ...tls }, () => resolve(s));
      s.once('error', reject);
    });
  } catch (e) {
    // Not a stack trace for a taken port: say what to change. Stop what was started.
    log.stopCheckpointTimer();
    await purge.stop();
    await scanner.stop();
    await queue.stop();
    await archive.close();
    await site.close();
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EADDRINUSE' ? `port ${config.port} on ${config.host} is already in use (another Tresor? set TRESOR_PORT or "port")`
      : err.code === 'EACCES' ? `no permission to listen on ${config.host}:${config.port} (ports below 1024 need privileges; use a reverse proxy)`
        : err.code === 'EADDRNOTAVAIL' ? `${config.host} is not an address of this machine (TRESOR_HOST)`
          : `cannot listen on ${config.host}:${config.port}: ${err.message}`;
    throw new TresorError('E_CONFIG', why);
  }
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = config.web.publicOrigin ?? `${tls.createServer ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  say(`tresor: console on ${url}, watching ${relative(process.cwd(), config.inbox) || config.inbox}`);
  // No default password (DESIGN §6): with no users yet, a one-time link creates the
  // first admin. It is printed here only, where the person installing the box reads it.
  if (setupNeeded(store)) {
    const token = await newSetupToken(store);
    say(`tresor: no users yet. Create the first administrator within 24 hours at:\n  ${url}/setup?token=${token}`);
  }

  let stopped = false;
  return {
    site, archive, url, status, auth, purge,
    async idle() {
      await scanner.scanOnce();
      await queue.idle();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      scannerRunning = false;
      await purge.stop();
      await scanner.stop();
      await queue.stop();
      await new Promise<void>((r) => server.close(() => r()));
      log.stopCheckpointTimer();
      await log.append([{ actor: 'system:service', action: 'service.stopped', target: 'service', detail: { pid: process.pid } }]);
      await log.checkpointNow();
      await archive.close();
      await site.close();
    },
  };
}
