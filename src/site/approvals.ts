import type { Config } from '../config/index.ts';
import type { Site } from './open.ts';
import { ApprovalRegistry } from '../approvals/index.ts';
import { retentionKinds } from '../retention/deletion.ts';
import { quarantineKinds } from '../ingest/quarantine-discard.ts';
import { roleGrantKinds } from '../auth/index.ts';
import { erasureKinds } from '../privacy/erasure.ts';
import { bundleKinds } from '../privacy/bundle.ts';
import { worksCouncilKinds } from '../speech/index.ts';

/**
 * Part of the wiring the service (src/service.ts) and the CLI share (the site's parts):
 * src/approvals/ may not import the modules whose actions it guards (DESIGN §2), so each
 * owner hands its kinds over here. A new kind (erasure, restriction lift) is one line.
 *
 * Registration only closes over `site`: nothing is read until a request is described or
 * carried out.
 */
export function approvalRegistry(site: Pick<Site, 'store' | 'log'>, config: Pick<Config, 'dataDir'>): ApprovalRegistry {
  const deps = { store: site.store, log: site.log, dataDir: config.dataDir };
  return new ApprovalRegistry()
    .registerAll(retentionKinds(deps)) // hold release, early deletion, policy change
    .registerAll(quarantineKinds(deps)) // quarantine discard
    .registerAll(roleGrantKinds(deps)) // role grants
    .registerAll(erasureKinds(deps)) // Art. 17 erasure of a data-subject request
    .registerAll(bundleKinds()) // evidence bundles over audit.bundleApprovalOver calls
    .registerAll(worksCouncilKinds(deps)); // unlocking the works-council switches (§ 87(1) no. 6 BetrVG)
}
