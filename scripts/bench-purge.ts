// Benchmarks the purge: N expired recordings crypto-shredded (DEK, row, tokens, indexes,
// tombstone, one log entry each, report, checkpoint). Baseline in the same run: what
// many sites do today — `find -delete` style removal of N small files, here unlink() of
// N files of the same count in one folder (no log, no proof, no index).
// Usage: tsx scripts/bench-purge.ts [--size N (default 100000)]
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { defaultConfig, type Config } from '../src/config/index.ts';
import { openSite } from '../src/site/open.ts';
import { openArchive } from '../src/archive/index.ts';
import { createMedia, resolveFfmpeg } from '../src/media/index.ts';
import { createIngest } from '../src/ingest/pipeline.ts';
import { ingestGates } from '../src/site/wire.ts';
import { newId } from '../src/core/ids.ts';
import { putRecording, type RecordingRow } from '../src/store/index.ts';
import { runPurge } from '../src/retention/purge.ts';
import { savePolicy } from '../src/retention/policies.ts';
import { defaultFfmpegPath } from './bench-ingest-baseline.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('size', 100_000);
const say = (s: string) => process.stderr.write(`${s}\n`);
const dir = mkdtempSync(join(tmpdir(), 'tresor-bench-purge-'));
try {
  const config: Config = { ...defaultConfig(), dataDir: join(dir, 'data'), inbox: join(dir, 'inbox') };
  mkdirSync(config.inbox, { recursive: true });
  const site = openSite(config, { create: true });
  const archive = openArchive(config.dataDir, site.store);
  const ffmpeg = defaultFfmpegPath();
  const media = createMedia(await resolveFfmpeg(ffmpeg), { timeoutMs: 120_000, stallMs: 60_000 });
  const ingest = createIngest({ config: { ...config, ingest: { ...config.ingest, disposition: 'delete' } }, store: site.store, keys: site.keys, archive, log: site.log, media, gates: ingestGates(config, site) });
  const wav = join(dir, 'in-4930123456-015112345678-20250101-101500-1735722900.1.wav');
  spawnSync(ffmpeg, ['-nostdin', '-loglevel', 'error', '-filter_complex', 'anoisesrc=color=pink:amplitude=0.2:sample_rate=8000:duration=60', '-c:a', 'pcm_s16le', '-y', wav]);
  const o = await ingest.ingestFile({ path: wav, relPath: wav.slice(dir.length + 1), sidecarPath: null });
  if (o.status !== 'archived') throw new Error(JSON.stringify(o));
  const tpl = site.store.recordings.get(o.id) as RecordingRow;
  const wrapped = site.store.keys.get(o.id);
  await savePolicy(site.store, site.log, 'cli:bench', 'short', { name: 'short', match: {}, keep: 'P30D', lock: false });
  // N calls from a year ago, each with its own id, tokens and key entry, built in small
  // transactions as ingest would (a bulk build would leave LMDB a huge freelist)
  for (let i = 0; i < N; i += 500) {
    await site.store.root.transaction(() => {
      for (let j = i; j < Math.min(N, i + 500); j++) {
        const start = tpl.start - j * 60_000;
        const id = newId(start);
        putRecording(site.store, {
          ...tpl, id, start, sourceSha256: String(j).padStart(64, '0'),
          tokens: [{ kind: 'phone', token: site.keys.token('phone', `+4930${10_000_000 + j}`) }, { kind: 'agent', token: site.keys.token('agent', `agent${j % 300}`) }],
          retention: { policy: 'short', expiresAt: start + 30 * 86400_000 },
        });
        site.store.keys.put(id, wrapped);
      }
    });
  }
  say(`built ${N} expired recordings`);

  const t0 = performance.now();
  const r = await runPurge({ store: site.store, log: site.log, dataDir: config.dataDir }, {
    by: 'system:retention', now: Date.now(), onProgress: (d, t) => { if (d % 20_000 < 2000) say(`  purged ${d}/${t}`); },
  });
  const purgeSecs = (performance.now() - t0) / 1000;
  const verify = await site.log.verifyAll();
  await archive.close();
  await site.close();

  // baseline: unlink N small files
  const files = join(dir, 'files');
  mkdirSync(files);
  for (let i = 0; i < N; i++) writeFileSync(join(files, `rec-${i}.wav`), 'x');
  spawnSync('sync');
  const t1 = performance.now();
  for (const f of readdirSync(files)) unlinkSync(join(files, f));
  spawnSync('sync', [files]);
  const unlinkSecs = (performance.now() - t1) / 1000;

  console.log([
    `purge bench: ${N.toLocaleString('en')} expired recordings`,
    `  Tresor purge (crypto-shred, indexes, ${r.run.purged} log entries, report, checkpoint)  ${purgeSecs.toFixed(1)} s  (${(r.run.purged / purgeSecs).toFixed(0)}/s; goal ≤ 60 s)`,
    `  baseline: unlink ${N} files + sync                                       ${unlinkSecs.toFixed(1)} s`,
    `  ratio Tresor / unlink                                                     ${(purgeSecs / unlinkSecs).toFixed(1)}×`,
    `  log verifies after the purge: ${verify.problems.length === 0 ? 'yes' : verify.problems.join('; ')}`,
  ].join('\n'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
