import type { Config } from '../config/index.ts';
import { openSite, type OpenSiteOptions, type Site } from '../site/open.ts';
import { openArchive, type Archive } from '../archive/index.ts';
import { wire, type WireOptions, type Wired } from '../site/wire.ts';

/** Opens the site for one command and always closes it, whatever the command throws. */
export async function withSite<T>(config: Config, fn: (site: Site) => Promise<T>, opts: OpenSiteOptions = {}): Promise<T> {
  const site = openSite(config, opts);
  try {
    return await fn(site);
  } finally {
    await site.close();
  }
}

/** The same with the archive, for commands that read recordings (no appends). */
export async function withArchive<T>(config: Config, fn: (site: Site, archive: Archive) => Promise<T>, opts: OpenSiteOptions = {}): Promise<T> {
  return withSite(config, async (site) => {
    const archive = openArchive(config.dataDir, site.store, { readOnly: opts.readOnly });
    try {
      return await fn(site, archive);
    } finally {
      await archive.close();
    }
  }, opts);
}

/**
 * The same for commands that ingest (`ingest`, `quarantine retry`): the site wired as the
 * service wires it (src/site/wire.ts: open, ffmpeg, recovery, archive, media, the gates).
 */
export async function withWired<T>(config: Config, fn: (w: Wired) => Promise<T>, opts: WireOptions = {}): Promise<T> {
  const w = await wire(config, opts);
  try {
    return await fn(w);
  } finally {
    await w.close();
  }
}
