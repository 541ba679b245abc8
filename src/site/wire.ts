import type { Config } from '../config/index.ts';
import { consentDecision, gate, type IngestGate } from '../policy/index.ts';
import { openArchive, recoverSegments, type Archive, type RecoveryReport } from '../archive/index.ts';
import { createMedia, resolveFfmpeg, type FfmpegInfo, type Media } from '../media/index.ts';
import { createIngest, type Ingest } from '../ingest/pipeline.ts';
import { recoverInflight } from '../ingest/recover.ts';
import { retentionExpiryGate } from '../retention/ingest-gate.ts';
import { objectionGate } from '../privacy/objection-gate.ts';
import { openSite, type Site } from './open.ts';
import { consentStep, decideOptions, decideUnknown } from '../consent/index.ts';
import { shredClosedRequests } from '../privacy/request-shred.ts';
import { speechAdvisor } from '../speech/index.ts';
import type { ConsentStep } from '../ingest/types.ts';

/**
 * The composition root (DESIGN §2: one, by hand, no DI container) for everything that
 * ingests: the service (src/service.ts), the CLI's one-shot `ingest` and `quarantine
 * retry` (src/cli/with-site.ts), and the console's retry. The order of start is the
 * crash story's: the site opens fail-closed (store, keys, log), ffmpeg is found, recovery
 * runs before anything appends (bytes past the last committed record truncated, dead
 * in-flight rows dropped), and only then the archive opens for appends.
 */

/** The gates decided at ingest on this site, in the order they are asked (src/policy/gates.ts). */
export function ingestGates(config: Config, site: Pick<Site, 'store' | 'log'>): IngestGate[] {
  const consent = config.consent.policy;
  return [
    retentionExpiryGate(site.store, site.log, config.retention.maxClockJumpHours * 3600_000),
    gate('consent.policy', { read: () => consent, rule: (call, policy) => consentDecision(call, policy) }),
    // issue 11 #5: the do-not-record register (discard, or archive restricted)
    objectionGate(site.store, config.privacy.objectionAtIngest),
  ];
}

/** The consent step of ingest on this site: evidence, events, DTMF, and the advisory speech analysis when switched on. */
export function siteConsentStep(config: Config, site: Pick<Site, 'store' | 'keys'>): ConsentStep {
  const speech = speechAdvisor(config, site.store);
  return consentStep(config, site.store, site.keys, speech ? [speech] : []);
}

/** The ingest pipeline of one site, with its gates; `actor` names it in the log (default system:ingest). */
export function siteIngest(w: { config: Config; site: Site; archive: Archive; media: Media }, actor?: string): Ingest {
  const { config, site } = w;
  return createIngest({
    config, store: site.store, keys: site.keys, archive: w.archive, log: site.log, media: w.media, gates: ingestGates(config, site), actor,
    consent: siteConsentStep(config, site),
  });
}

/** ffmpeg under the configured time limits, at most one run per ingest worker. */
export function mediaFor(ffmpeg: FfmpegInfo, config: Config): Media {
  return createMedia(ffmpeg, {
    timeoutMs: config.media.timeoutSeconds * 1000, stallMs: config.media.stallSeconds * 1000, maxConcurrent: config.ingest.workers,
    downloads: { slots: config.media.downloadSlots, queue: config.media.downloadQueue },
  });
}

export interface Wired {
  config: Config;
  site: Site;
  archive: Archive;
  media: Media;
  ffmpeg: FfmpegInfo;
  recovery: RecoveryReport;
  /** the in-flight rows recovered, or null when that recovery was not asked for */
  inflight: { dropped: number; pending: number } | null;
  /** the ingest pipeline with this site's gates */
  ingest(actor?: string): Ingest;
  /** closes the archive, then the site */
  close(): Promise<void>;
}

export interface WireOptions {
  /** create the archive when there is none (the service and `tresor init` only) */
  create?: boolean;
  /** drop the in-flight rows of dead processes (default true; a quarantine retry leaves them) */
  recoverInflight?: boolean;
}

/** Opens a site for ingesting, in the order above; whatever fails on the way closes what was opened. */
export async function wire(config: Config, opts: WireOptions = {}): Promise<Wired> {
  const site = openSite(config, { create: opts.create });
  let archive: Archive | null = null;
  try {
    const ffmpeg = await resolveFfmpeg(config.ffmpeg);
    const recovery = recoverSegments(config.dataDir, site.store);
    const inflight = opts.recoverInflight === false ? null : recoverInflight(site.store);
    archive = openArchive(config.dataDir, site.store);
    const media = mediaFor(ffmpeg, config);
    const a = archive;
    return {
      config, site, archive: a, media, ffmpeg, recovery, inflight,
      ingest: (actor) => siteIngest({ config, site, archive: a, media }, actor),
      async close() {
        await a.close();
        await site.close();
      },
    };
  } catch (e) {
    await archive?.close().catch(() => undefined);
    await site.close().catch(() => undefined);
    throw e;
  }
}

/**
 * What runs after each scheduled purge that was not held (src/retention/run.ts afterPurge;
 * retention may not import consent or privacy), behind the same clock guard: the
 * unknown-consent decision (issue 12, item 4) and the crypto-shredding of requests closed
 * longer than privacy.closedRequestYears (issue 11). Returns the line for the journal.
 */
export function afterPurgeOf(config: Config, site: Pick<Site, 'store' | 'log' | 'keys'>): (by: string, now: number) => Promise<string | null> {
  const { store, log, keys } = site;
  return async (by, now) => {
    const lines: string[] = [];
    const r = await decideUnknown({ store, log, dataDir: config.dataDir }, decideOptions(config, by, now));
    if (r.kind === 'done' && (r.erased.length || r.restricted.length || r.held.length)) {
      lines.push(`tresor: unknown consent after ${config.consent.unknownDays} days: ${r.erased.length} erased, ${r.restricted.length} restricted, ${r.held.length} kept by legal holds`);
    }
    const s = await shredClosedRequests({ store, log, keys, phone: config.phone, dataDir: config.dataDir }, {
      by, now, years: config.privacy.closedRequestYears, maxJumpMs: config.retention.maxClockJumpHours * 3600_000,
    });
    if (s.kind === 'done' && s.shredded.length) lines.push(`tresor: ${s.shredded.length} closed request(s) older than ${config.privacy.closedRequestYears} years crypto-shredded`);
    return lines.length ? lines.join('\n') : null;
  };
}
