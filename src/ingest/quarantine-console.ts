import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { Config } from '../config/index.ts';
import type { Keyring } from '../crypto/index.ts';
import type { Archive } from '../archive/index.ts';
import type { Media } from '../media/index.ts';
import type { IndexStore } from '../store/index.ts';
import type { IngestGate } from '../policy/index.ts';
import { quarantinePersonal, type QuarantinePersonal, type RetryOutcome } from './quarantine.ts';
import { retryQuarantinedWith } from './retry.ts';

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
  /** the site's gates (src/site/wire.ts), as for any ingest */
  gates: readonly IngestGate[];
}): QuarantineConsole {
  const { config, store, keys, archive, log, media, gates } = deps;
  return {
    personal: (id) => quarantinePersonal({ dataDir: config.dataDir, store, keys }, id),
    retry(actor, id, sidecar) {
      if (!media) throw new TresorError('E_FFMPEG_MISSING', 'retry needs ffmpeg, which this console was started without');
      // retryQuarantinedWith deletes the retried copy once archived (it is ours, not the PBX's)
      return retryQuarantinedWith({ config, store, keys, archive, log, media, gates }, actor, id, { sidecar });
    },
  };
}
