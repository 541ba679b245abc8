import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { Config } from '../config/index.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Archive } from '../archive/index.ts';
import type { Media } from '../media/index.ts';
import type { IndexStore } from '../store/index.ts';
import { createIngest } from './pipeline.ts';
import { quarantinePersonal, retryQuarantined, type QuarantinePersonal, type RetryOutcome } from './quarantine.ts';

/**
 * What the console may do with quarantined content, built where the service is wired so
 * the web layer never holds the keyring (DESIGN §2: crypto hands out operations).
 */
export interface QuarantineConsole {
  /** the sealed personal details of an entry; the caller has logged the viewing first */
  personal(id: string): QuarantinePersonal;
  /** runs an entry through ingest again as `actor` (retryQuarantined logs before it opens anything) */
  retry(actor: string, id: string, sidecar: Buffer | null): Promise<RetryOutcome>;
}

export function quarantineConsole(deps: {
  config: Config; store: IndexStore; keys: Keyring; archive: Archive; log: LogWriter; media: Media | null;
}): QuarantineConsole {
  const { config, store, keys, archive, log, media } = deps;
  return {
    personal: (id) => quarantinePersonal({ dataDir: config.dataDir, store, keys }, id),
    retry(actor, id, sidecar) {
      if (!media) throw new TresorError('E_FFMPEG_MISSING', 'retry needs ffmpeg, which this console was started without');
      // a retried copy is a private temporary file: it goes once archived
      const ingest = createIngest({ config: { ...config, ingest: { ...config.ingest, disposition: 'delete' } }, store, keys, archive, log, media, actor });
      return retryQuarantined(
        { dataDir: config.dataDir, store, keys, log, actor, minFreeBytes: config.ingest.minFreeMiB * 1048576, ingestFile: ingest.ingestFile },
        id, { sidecar });
    },
  };
}
