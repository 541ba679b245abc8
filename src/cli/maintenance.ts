import { TresorError } from '../core/errors.ts';
import { openSite } from '../site/open.ts';
import { recoverSegments } from '../archive/index.ts';
import { compactArchive, FAULT_POINTS, type CompactFaultPoint } from '../archive/compact.ts';
import { assertIndexExclusive } from '../store/holders.ts';
import { compactIndex } from '../store/compact.ts';
import { rotateKeys } from '../site/rotate-keys.ts';
import { describePlan, planIndexRebuild, rebuildIndex } from '../site/rebuild-index.ts';
import { ROTATE_FAULT_POINTS, type RotateFaultPoint } from '../crypto/index.ts';
import { parse, type Command } from './args.ts';

/**
 * Test hook (fault injection): TRESOR_TEST_FAULT=compact:<point> or keys:<point> makes
 * the command kill itself with SIGKILL at that point, the way a power cut would.
 */
function faultHook<P extends string>(kind: string, points: readonly P[]): ((p: P) => void) | undefined {
  const spec = process.env.TRESOR_TEST_FAULT;
  if (!spec?.startsWith(`${kind}:`)) return undefined;
  const want = spec.slice(kind.length + 1);
  if (!points.includes(want as P)) throw new TresorError('E_CONFIG', `TRESOR_TEST_FAULT: ${kind} has no point "${want}" (${points.join(', ')})`);
  return (p) => {
    if (p === want) process.kill(process.pid, 'SIGKILL');
  };
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

/**
 * `tresor compact [--min-dead 0.2] [--skip-index]`: rewrites segments with dead (purged)
 * records, then copy-compacts the index. The second step matters as much as the first:
 * a purge frees many index pages, and LMDB keeps them in freelist records that every
 * later commit rewrites (one append took 90 ms instead of 2 ms on a 1M-row index).
 */
export const compactCmd: Command = async (args, { config, actor, io }) => {
  const { values } = parse(args, { 'min-dead': { type: 'string' }, 'skip-index': { type: 'boolean' } });
  const minDead = values['min-dead'] === undefined ? 0.2 : Number(values['min-dead']);
  if (!Number.isFinite(minDead) || minDead < 0 || minDead > 1) throw new TresorError('E_INVALID', '--min-dead: a fraction between 0 and 1 (0.2 = compact segments that are at least 20 % dead)');
  // Another process's archive keeps old segment files open (their space would not come
  // back) and may look up a row just before it moves: compaction runs alone.
  assertIndexExclusive(config.dataDir, 'compaction');
  const site = openSite(config);
  try {
    const rec = recoverSegments(config.dataDir, site.store);
    if (rec.truncated.length || rec.damaged.length || rec.unknownFiles.length) io.err(`compact: recovery: ${JSON.stringify(rec)}`);
    if (rec.damaged.length) throw new TresorError('E_INTEGRITY', `segment(s) ${rec.damaged.map((d) => d.segment).join(', ')} are damaged; run tresor fsck and restore them before compacting`);
    let last = '';
    const r = await compactArchive({
      dataDir: config.dataDir, store: site.store, log: site.log, actor, minDeadRatio: minDead,
      fault: faultHook<CompactFaultPoint>('compact', FAULT_POINTS),
      onProgress(p) {
        const line = `compact: ${p.phase}${p.segment ? ` ${p.segment}` : ''} ${mib(p.bytesDone)} of ${mib(p.bytesTotal)} live`;
        if (line !== last) io.err(line);
        last = line;
      },
    });
    await site.log.checkpointNow();
    io.out(r.segments
      ? `compacted ${r.segments} segment(s) into ${r.newSegments}: ${mib(r.bytesBefore)} → ${mib(r.bytesAfter)}, ${r.recordsMoved} recordings moved in ${r.seconds} s`
      : `nothing to compact (no closed segment is ${Math.round(minDead * 100)} % dead)`);
    if (r.recordsRaced) io.out(`${r.recordsRaced} recording(s) were purged while being copied: their bytes wait for the next compaction`);
    if (r.cleaned) io.out(`removed ${r.cleaned} leftover(s) of an interrupted compaction`);
  } finally {
    await site.close();
  }
  if (!values['skip-index']) {
    assertIndexExclusive(config.dataDir, 'index compaction');
    const ix = await compactIndex(config.dataDir);
    io.out(`index compacted (free pages dropped): ${ix.beforePages} → ${ix.afterPages} pages`);
  }
  return 0;
};

/** `tresor keys rotate [--skip-index-compaction]` */
export const keysCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  if (sub !== 'rotate') throw new TresorError('E_USAGE', 'keys rotate [--skip-index-compaction]');
  const { values } = parse(rest, { 'skip-index-compaction': { type: 'boolean' } });
  const r = await rotateKeys(config, {
    actor, compactIndex: !values['skip-index-compaction'], onProgress: (m) => io.err(m),
    fault: faultHook<RotateFaultPoint>('keys', ROTATE_FAULT_POINTS),
  });
  io.out(`${r.resumed ? 'finished an interrupted rotation' : 'rotated the key-encryption key'}: epoch ${r.from.join(', ')} → ${r.to}; ${r.rewrapped} data key(s) rewrapped; the old epoch(s) are deleted from the kek file`);
  if (r.index) io.out(`index compacted (free pages dropped): ${r.index.beforePages} → ${r.index.afterPages} pages`);
  io.out('Back up the new kek file now: older copies of it (and index backups from before) cannot open this archive any more.');
  return 0;
};

/** `tresor index rebuild [--confirm]` (src/site/rebuild-index.ts): first what it found, then, with --confirm, the rebuild. */
export const indexCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  if (sub !== 'rebuild') throw new TresorError('E_USAGE', 'index rebuild [--confirm]');
  const { values } = parse(rest, { confirm: { type: 'boolean' } });
  assertIndexExclusive(config.dataDir, 'index rebuild');
  const plan = planIndexRebuild(config);
  for (const line of describePlan(plan)) io.out(line);
  if (!values.confirm) {
    io.out(`Nothing changed. \`tresor index rebuild --confirm\` moves the old index, segments and quarantine into ${config.dataDir}/lost-<time>/ ` +
      '(nothing is deleted) and starts a new, empty index with the same keys and a new access log.');
    return 0;
  }
  const r = await rebuildIndex(config, plan, actor);
  io.out(`Done. The old index, segments and quarantine are in ${r.aside} (nothing deleted; see README.txt there).`);
  io.out(`A new, empty index uses the same keys; its access log starts at 0 under the new origin ${r.origin} ` +
    '(tell your auditors: the old log ends at its last checkpoint). The first start prints a link to create the first administrator.');
  return 0;
};

/** `tresor reindex [--json]`: the search entries older calls lack (src/site/reindex.ts says why a command). */
export const reindexCmd: Command = async (args, { config, actor, io }) => {
  const { values } = parse(args, { json: { type: 'boolean' } });
  const { withSite } = await import('./with-site.ts');
  const { reindexRecordings } = await import('../site/reindex.ts');
  return withSite(config, async (site) => {
    const r = await reindexRecordings({ store: site.store, keys: site.keys, log: site.log }, actor);
    if (values.json) io.out(JSON.stringify(r));
    else {
      io.out(`${r.recordings} recordings looked at; ${r.updated} got agent name entries they lacked` +
        (r.unreadable ? `; ${r.unreadable} without a data key left as they are (run tresor fsck)` : '') + '.');
    }
    return 0;
  });
};
