import { createIngest, type IngestDeps } from './pipeline.ts';
import { retryQuarantined, type RetryOutcome } from './quarantine.ts';

/**
 * A person retries a quarantined file (console or `tresor quarantine retry`): the file goes
 * through the whole pipeline again as `actor`, and the copy made from the sealed original
 * is deleted afterwards whatever the configured disposition says — it is ours, not the
 * PBX's, and a kept copy would be ingested a second time by the next scan.
 */
export function retryQuarantinedWith(
  deps: Required<Omit<IngestDeps, 'actor' | 'consent'>> & Pick<IngestDeps, 'consent'>, actor: string, id: string, opts: { sidecar?: Buffer | null } = {},
): Promise<RetryOutcome> {
  const config = { ...deps.config, ingest: { ...deps.config.ingest, disposition: 'delete' as const } };
  const ingest = createIngest({ ...deps, config, actor });
  return retryQuarantined({
    dataDir: config.dataDir, store: deps.store, keys: deps.keys, log: deps.log, actor,
    minFreeBytes: config.ingest.minFreeMiB * 1048576, ingestFile: ingest.ingestFile,
  }, id, opts);
}
