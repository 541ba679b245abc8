import { serve, type ServerType } from '@hono/node-server';
import { relative } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Config } from './config/index.ts';
import { TresorError } from './core/errors.ts';
import type { Site } from './site/open.ts';
import { ingestGates, wire } from './site/wire.ts';
import type { Archive } from './archive/index.ts';
import { createIngestQueue } from './ingest/queue.ts';
import type { IngestStatus } from './ingest/types.ts';
import { createScanner } from './ingest/scanner.ts';
import { sourceRef } from './ingest/source.ts';
import { quarantineConsole } from './ingest/quarantine-console.ts';
import { rectifyRecording } from './privacy/index.ts';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createApp } from './web/app.ts';
import { expirePending, receiveEvent } from './consent/index.ts';
import { createAuth, newSetupToken, setupNeeded } from './auth/index.ts';
import { createAccess } from './access/index.ts';
import { configWaitingText, syncConfigPolicies } from './retention/policy-change.ts';
import { isLmdbCommitEcho } from './store/index.ts';
import type { LogWriter } from './core/types.ts';
import { createPurgeScheduler, type PurgeScheduler } from './retention/run.ts';
import { approvalRegistry } from './site/approvals.ts';
import { createWitnessClient, type WitnessClient } from './audit/index.ts';
import { createAlerts, type Alerts } from './alerts/index.ts';
import { fsck } from './site/fsck.ts';
import { speechReviewOps } from './speech/index.ts';
import { requestKeySealer } from './privacy/index.ts';
import { afterPurgeOf } from './site/wire.ts';

export interface Service {
  site: Site;
  archive: Archive;
  url: string;
  auth: ReturnType<typeof createAuth>;
  purge: PurgeScheduler;
  /** C2SP witnesses of the log's checkpoints (log.witnesses): submission and status */
  witnesses: WitnessClient;
  /** issue 14: rules evaluated every alerts.intervalSeconds, channels, nightly self-check */
  alerts: Alerts;
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
  // the service is the one place besides `tresor init` that may create an archive; the
  // wiring opens the site, finds ffmpeg and recovers before anything appends
  const wired = await wire(config, { create: true });
  const { site, archive, media, recovery, ffmpeg: ff } = wired;
  const { store, log } = site;
  const inflight = wired.inflight!;
  say(`tresor: ffmpeg ${ff.version} (${ff.source}: ${ff.path})`);
  if (recovery.truncated.length || recovery.damaged.length || recovery.unknownFiles.length) {
    say(`tresor: recovery: ${JSON.stringify(recovery)}`);
  }
  const policyChanges = await syncConfigPolicies(store, log, config.retention.policies, { graceDays: config.retention.configGraceDays });
  if (policyChanges.applied) say(`tresor: retention policies from the configuration: ${policyChanges.applied} change(s) applied, expiries re-evaluated`);
  for (const w of policyChanges.waiting) say(configWaitingText(w));
  const ingest = wired.ingest();
  mkdirSync(config.inbox, { recursive: true, mode: 0o750 });

  const rejected: IngestStatus['rejected'] = [];
  const remember = (code: string, ref: string) => {
    rejected.push({ code, ref, at: Date.now() });
    if (rejected.length > 200) rejected.shift();
  };
  const deferred = new Map<string, IngestStatus['deferred'][number]>();
  // File names carry phone numbers: the journal gets a reference, never the name (issue 16).
  const refOf = (path: string) => sourceRef(site.keys, path);

  const queue = createIngestQueue(ingest, {
    workers: config.ingest.workers,
    onOutcome(file, o) {
      const ref = refOf(file.path);
      if (o.status === 'deferred') {
        // one report per file and cause, not one per rescan while the disk stays full
        if (o.firstReport || !deferred.has(ref)) say(`tresor: deferred (${o.code}) file ${ref}: ${o.message}`);
        const was = deferred.get(ref);
        deferred.set(ref, { code: o.code, ref, message: o.message, since: was?.code === o.code ? was.since : Date.now() });
      } else deferred.delete(ref);
      if (o.status === 'archived') say(`tresor: archived ${o.id} (${(o.durationMs / 1000).toFixed(1)} s)`);
      else if (o.status === 'quarantined') say(`tresor: quarantined ${o.quarantineId}${o.joined ? ' (again: same bytes as before)' : ''}: ${o.code} ${o.message}`);
      else if (o.status === 'rejected') {
        remember(o.code, ref);
        say(`tresor: not taking file ${ref}: ${o.code} ${o.message}`);
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
      const ref = refOf(r.path);
      remember(r.code, ref);
      log.append([{ actor: 'system:ingest', action: 'inbox.rejected', target: 'inbox', detail: { code: r.code } }]).catch(() => undefined);
      say(`tresor: not taking file ${ref}: ${r.code} ${r.reason}`);
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
  // Polls the latest checkpoint (cheap: one LMDB read) so checkpoints the CLI signs are witnessed too.
  const witnesses = createWitnessClient({ log, witnesses: config.log.witnesses, quorum: config.log.witnessQuorum, say });
  witnesses.start(2000);
  // after each scheduled purge, behind the same clock guard: the unknown-consent decision (issue 12,
  // item 4) and the crypto-shredding of requests closed longer than privacy.closedRequestYears (issue 11)
  const purge = createPurgeScheduler({ store, log, dataDir: config.dataDir }, config.retention, say, afterPurgeOf(config, site));
  scanner.start();
  let scannerRunning = true;
  const alerts = createAlerts({
    store, log, config, createdAt: Date.parse(site.meta.createdAt), say,
    // the nightly self-check (alerts.selfCheckSchedule): fsck (logs archive.checked first) and the whole log
    selfCheck: async () => {
      const f = await fsck(site, archive, undefined, 'system:self-check');
      const v = await log.verifyAll();
      return { fsckProblems: f.problems.length, logProblems: v.problems.length };
    },
    live: () => ({
      oldestWaitingSince: [...deferred.values()].reduce<number | null>((m, d) => (m === null || d.since < m ? d.since : m), null),
      witnesses: witnesses.status().map((w) => ({ name: w.name, behindMs: w.behind && w.lastAttemptAt ? Date.now() - Date.parse(w.lastAttemptAt) : null, unreachable: w.behind && w.lastError !== null, refusing: w.alarm !== null })),
    }),
  });
  alerts.start();

  const status = (): IngestStatus => ({
    scannerRunning, queue: queue.stats(), recovery, rejected: [...rejected], deferred: [...deferred.values()].sort((a, b) => a.since - b.since),
  });
  const auth = createAuth(store, log, {
    idleMs: config.auth.sessionIdleMinutes * 60_000,
    absoluteMs: config.auth.sessionMaxHours * 3600_000,
    requireTotpForPrivileged: config.auth.requireTotpForPrivileged,
    secrets: site.keys,
  });
  // TOTP secrets an older version kept in the clear are sealed now (issue 16)
  await auth.sealClearTotpSecrets();
  const access = createAccess({ store, keys: site.keys, archive, log });
  // the web layer gets key operations, never the keyring (DESIGN §2)
  const { keys, ...keyless } = site;
  const app = createApp({
    config, site: keyless, archive, media, auth, access, approvals: approvalRegistry(site, config), ingestStatus: status, alerts,
    tokens: { tokenize: keys.tokenize }, secrets: { sealSecret: keys.sealSecret, openSecret: keys.openSecret, sealFor: requestKeySealer(keys) },
    quarantine: quarantineConsole({ config, store, keys, archive, log, media, gates: ingestGates(config, site) }),
    speech: speechReviewOps({ store: store, log: log, keys, phrases: config.speech.phrases }),
    rectify: (actor, id, o) => rectifyRecording({ store, log, keys, phone: config.phone }, actor, id, o),
    consentEvent: async (actor, body) => {
      const d = { store, log, keys, pendingHours: config.consent.pendingHours };
      await expirePending(d); // events whose file never came go first (logged)
      return receiveEvent(d, actor, body);
    },
  });
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
    await alerts.stop();
    await witnesses.stop();
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
    site, archive, url, status, auth, purge, witnesses, alerts,
    async idle() {
      await scanner.scanOnce();
      await queue.idle();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      scannerRunning = false;
      await alerts.stop();
      await purge.stop();
      await scanner.stop();
      await queue.stop();
      await new Promise<void>((r) => server.close(() => r()));
      log.stopCheckpointTimer();
      await witnesses.stop();
      await log.append([{ actor: 'system:service', action: 'service.stopped', target: 'service', detail: { pid: process.pid } }]);
      await log.checkpointNow();
      await archive.close();
      await site.close();
    },
  };
}

export interface FaultPolicy {
  /** from now on faults are also recorded in the access log (best effort) */
  attach(log: LogWriter): void;
  /** faults seen since start (the dashboard and /metrics may show it) */
  count(): number;
  uninstall(): void;
}

/**
 * What `serve` does with a promise rejection that nobody handled. Node's default is to
 * die, and it did: on a full disk, lmdb-js leaves one unhandled rejection behind every
 * failed commit (besides rejecting the caller's own promise, which the caller handles:
 * deferred and reported), and the service exited mid-scan (issue 9). Dying does not make
 * the archive safer: every commit is all-or-nothing (store.tx) and every durable step
 * before it has its crash story, so a lost promise can leave work undone (a rescan or
 * the next start redoes it), never a half-written archive. So: say it in the journal,
 * record it in the log when the log can be written, count it, keep serving.
 */
export function installFaultPolicy(say: Logger): FaultPolicy {
  let log: LogWriter | null = null;
  let faults = 0;
  let lastEcho = 0;
  const onRejection = (reason: unknown): void => {
    faults++;
    if (isLmdbCommitEcho(reason)) {
      const now = Date.now();
      if (now - lastEcho > 60_000) {
        lastEcho = now;
        say('tresor: an index commit failed (disk full?); the work it carried was deferred and is retried');
      }
      return;
    }
    say(`tresor: internal error (unhandled promise rejection); the service keeps running: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}`);
    const code = reason instanceof TresorError ? reason.code : reason instanceof Error ? reason.name : typeof reason;
    log?.append([{ actor: 'system:service', action: 'service.fault', target: 'service', detail: { kind: 'unhandledRejection', error: code } }]).catch(() => undefined);
  };
  process.on('unhandledRejection', onRejection);
  return {
    attach: (l) => void (log = l),
    count: () => faults,
    uninstall: () => void process.off('unhandledRejection', onRejection),
  };
}
