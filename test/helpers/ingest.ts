import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openSite, type Site } from '../../src/site/open.ts';
import { openArchive, type Archive } from '../../src/archive/index.ts';
import { createMedia, resolveFfmpeg, type Media } from '../../src/media/index.ts';
import { createIngest, type Ingest } from '../../src/ingest/pipeline.ts';
import { ingestGates, siteConsentStep } from '../../src/site/wire.ts';
import type { SourceFile } from '../../src/ingest/types.ts';
import type { Config } from '../../src/config/index.ts';
import { testConfig } from './site.ts';

/**
 * One data directory with the real ingest pipeline (real LMDB, archive, ffmpeg), no
 * service around it. `transcodes()` counts the ffmpeg runs ingest asked for: the media
 * object is the real one, only counted.
 */
export interface IngestSite {
  config: Config;
  site: Site;
  archive: Archive;
  media: Media;
  ingest: Ingest;
  transcodes(): number;
  /** a fresh folder outside the data directory for input files */
  work(): string;
  close(): Promise<void>;
}

export async function ingestSite(
  over: (c: Config) => void = () => {},
  mediaOpts: { timeoutMs?: number; stallMs?: number } = {},
): Promise<IngestSite> {
  const config = testConfig();
  config.ingest.minFreeMiB = 0;
  over(config);
  const site = openSite(config, { create: true });
  const archive = openArchive(config.dataDir, site.store);
  const real = createMedia(await resolveFfmpeg(config.ffmpeg), {
    timeoutMs: mediaOpts.timeoutMs ?? 60_000, stallMs: mediaOpts.stallMs ?? 20_000, maxConcurrent: config.ingest.workers,
  });
  let count = 0;
  const media: Media = {
    info: real.info,
    transcode: (...args) => {
      count++;
      return real.transcode(...args);
    },
    decodeToWav: (...args) => real.decodeToWav(...args),
    decodeWindow: (...args) => real.decodeWindow(...args),
    streamWav: (...args) => real.streamWav(...args),
  };
  const ingest = createIngest({ config, store: site.store, keys: site.keys, archive, log: site.log, media, gates: ingestGates(config, site), consent: siteConsentStep(config, site) });
  return {
    config, site, archive, media, ingest,
    transcodes: () => count,
    work: () => mkdtempSync(join(tmpdir(), 'tresor-in-')),
    async close() {
      await archive.close();
      await site.close();
    },
  };
}

/** A source as the CLI hands it over: the bare name is parsed for metadata. */
export function source(path: string, sidecarPath: string | null = null): SourceFile {
  return { path, relPath: basename(path), sidecarPath };
}

/** `NAME.json` beside `NAME.<ext>` */
export function sidecarOf(path: string): string {
  return path.replace(/\.[^./]+$/, '.json');
}
