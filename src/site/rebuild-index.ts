import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { TresorError, isTresorError } from '../core/errors.ts';
import { fsyncDir, writeFileDurable } from '../core/durable.ts';
import type { Config } from '../config/index.ts';
import { openIndex } from '../store/index.ts';
import { inspectIndexFile } from '../store/meta-page.ts';
import { assertIndexExclusive } from '../store/holders.ts';
import { openKeyring } from '../crypto/index.ts';
import { listSegmentFiles } from '../archive/index.ts';
import { scanSegmentFile, type SegmentScan } from '../archive/scan.ts';
import { openSite } from './open.ts';
import { archiveTraces } from './traces.ts';

/**
 * `tresor index rebuild`: what can be done when the index is lost or damaged and there is
 * no backup of it (FORMAT.md, *A lost index*).
 *
 * What the segments hold without the index: each record's recording id, its length and a
 * checksum (FORMAT.md, *Record*). What they do not hold: the recording's data key. Every
 * call is sealed with its own key, and that key is kept (wrapped by the KEK) only in the
 * index — on purpose, because deleting it there is how a purge erases a call (crypto-
 * shredding). So no rebuild can make a single recording readable again; neither can it
 * bring back the call metadata (times, numbers, names, consent: sealed in the index), the
 * access log and its checkpoints, users, tokens, policies, holds or approvals. Only a
 * backup of the index (with the kek file of its time) can.
 *
 * What it does instead, so the box can take calls again without hiding anything:
 * 1. checks every segment file (header, every record's checksum) and lists what is in it;
 * 2. moves the old index, the segments and the quarantine into `<data>/lost-<time>/` with
 *    that inventory and a README (renames, nothing deleted: with a backup of the index
 *    they can still be opened later);
 * 3. starts a new, empty index with the same keys and a new log (a new origin: the old
 *    log's checkpoints are in auditors' hands and must never be contradicted), whose
 *    first entry `index.rebuilt` records what was moved aside.
 * Crash story: a kill during 2 leaves part of the old state in lost-<time>/ and the rest
 * in place; running the command again moves the rest into a second folder.
 */

export interface RebuildPlan {
  dataDir: string;
  state: 'missing' | 'empty' | 'damaged' | 'no-site';
  /** why the index cannot be used, for people */
  why: string;
  segments: (SegmentScan & { name: string })[];
  quarantine: string[];
  records: number;
  recordBytes: number;
}

export function planIndexRebuild(config: Config): RebuildPlan {
  const { dataDir } = config;
  const index = join(dataDir, 'index');
  let state: RebuildPlan['state'];
  let why: string;
  try {
    const file = inspectIndexFile(dataDir);
    if (file.kind === 'missing' || file.kind === 'empty') {
      state = file.kind;
      why = file.kind === 'missing' ? `there is no ${file.path}` : `${file.path} is empty (0 bytes)`;
    } else {
      const hasSite = (() => {
        const store = openIndex(dataDir, { readOnly: true });
        try {
          return store.meta.site() !== undefined;
        } finally {
          void store.close();
        }
      })();
      if (hasSite) throw new TresorError('E_INVALID', `the index in ${index} is fine; there is nothing to rebuild (tresor fsck checks the whole archive)`);
      state = 'no-site';
      why = `${file.path} holds no archive (it was replaced by an empty one?)`;
    }
  } catch (e) {
    if (!isTresorError(e, 'E_INDEX_DAMAGED')) throw e;
    state = 'damaged';
    why = e.message.replace(/\. Nothing was changed\..*$/s, '');
  }
  const traces = archiveTraces(dataDir);
  if (!traces.segments.length && !traces.keys.length && !traces.quarantine.length && state !== 'damaged') {
    throw new TresorError('E_NO_ARCHIVE', `there is no archive in ${dataDir} (no index, no segments, no keys): nothing to rebuild; \`tresor init\` creates a new one`, { detail: { dataDir } });
  }
  const segments = listSegmentFiles(join(dataDir, 'archive')).map((name) => ({ name, ...scanSegmentFile(join(dataDir, 'archive', name)) }));
  const records = segments.reduce((n, s) => n + s.records.length, 0);
  const recordBytes = segments.reduce((n, s) => n + s.records.reduce((m, r) => m + r.length, 0), 0);
  return { dataDir, state, why, segments, quarantine: traces.quarantine, records, recordBytes };
}

/** What a person must know before and after, in plain words (also the README of the folder). */
export function describePlan(p: RebuildPlan): string[] {
  const damagedRecords = p.segments.reduce((n, s) => n + s.damaged.length, 0);
  const badHeaders = p.segments.filter((s) => !s.headerOk).length;
  return [
    `The index cannot be used: ${p.why}.`,
    `Found ${p.segments.length} segment file(s) holding ${p.records} recording(s) (${(p.recordBytes / 1048576).toFixed(1)} MiB)` +
      `${damagedRecords ? `, ${damagedRecords} damaged stretch(es) no record accounts for` : ''}${badHeaders ? `, ${badHeaders} with a damaged header` : ''}` +
      `, and ${p.quarantine.length} quarantined file(s).`,
    'What the segments give back: each recording\'s id, size and checksum (listed in inventory.json).',
    'What they cannot give back: the recordings themselves. Each call is encrypted with its own data key, and that key was kept ' +
      'only in the index (so that deleting it erases the call). Without the old index these recordings cannot be decrypted, by anyone; ' +
      'nor can the quarantined files.',
    'Also lost with the index: the call metadata (times, numbers, names, consent), the access log and its checkpoints, users, ' +
      'API tokens, retention policies, legal holds and approvals.',
    'Only a backup of the index folder (with the kek file of its time) can bring them back. If you have one, restore it instead ' +
      '(service stopped) and do not run this.',
  ];
}

export interface RebuildResult {
  aside: string;
  origin: string;
}

export async function rebuildIndex(config: Config, plan: RebuildPlan, actor: string): Promise<RebuildResult> {
  const { dataDir } = config;
  assertIndexExclusive(dataDir, 'index rebuild');
  if (config.log.origin) {
    throw new TresorError('E_CONFIG', `log.origin is set to "${config.log.origin}": the new log cannot continue under the old log's origin ` +
      '(auditors hold its checkpoints). Remove log.origin (or give a new one) and run this again.');
  }
  // the keys must be there (and readable) before anything moves: the new index uses them
  openKeyring(dataDir, true);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const aside = join(dataDir, `lost-${stamp}`);
  mkdirSync(aside, { mode: 0o700 });
  const inventory = {
    createdAt: new Date().toISOString(), state: plan.state, why: plan.why,
    segments: plan.segments.map((s) => ({ name: s.name, fileBytes: s.fileBytes, headerOk: s.headerOk, records: s.records, damaged: s.damaged })),
    quarantine: plan.quarantine,
  };
  await writeFileDurable(join(aside, 'inventory.json'), JSON.stringify(inventory, null, 2) + '\n');
  await writeFileDurable(join(aside, 'README.txt'), [
    `Moved aside by \`tresor index rebuild\` on ${inventory.createdAt}.`, '', ...describePlan(plan), '',
    'index/ is the old (lost or damaged) index, archive/ the old segments, quarantine/ the old quarantine, all as they were.',
    'Keep this folder until you are sure no backup of the old index exists; then it may be deleted.', '',
  ].join('\n'));
  for (const name of ['index', 'archive', 'quarantine']) {
    if (existsSync(join(dataDir, name))) renameSync(join(dataDir, name), join(aside, name));
  }
  await fsyncDir(aside);
  await fsyncDir(dataDir);

  const site = openSite(config, { create: true, adoptKeys: true });
  try {
    await site.log.append([{
      actor, action: 'index.rebuilt', target: 'index',
      detail: { state: plan.state, movedTo: aside.slice(dataDir.length + 1), segments: plan.segments.length, records: plan.records, quarantine: plan.quarantine.length },
    }]);
    await site.log.checkpointNow();
    return { aside, origin: site.meta.origin };
  } finally {
    await site.close();
  }
}

