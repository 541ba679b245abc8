// Benchmarks the Art. 15 access package (issue 11) and the evidence bundle (issue 13)
// against `tresor extract` of the same calls, in one process and one run:
//
//   tsx scripts/bench-package.ts [--calls 100] [--seconds 180] [--rounds 3]
//
// N calls of one subject (real generated audio, scripts' FreePBX names carrying the
// caller's number) go once through the real ingest (ffmpeg → Opus → archive → log). Then,
// in alternating order per round: (a) extract — the code path of `tresor extract ID --out
// FILE` (src/cli/commands.ts extractStored) for every call; (b) the access package of an
// identity-verified access request of that subject (src/privacy/package.ts buildPackage);
// (c) the evidence bundle of those calls (src/privacy/bundle.ts buildBundle). Reported:
// the median wall time of each and the median of the per-round ratios package/extract and
// bundle/extract (goal ≤ 1.3× each). Every round writes into fresh folders.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { defaultConfig, type Config } from '../src/config/index.ts';
import { openSite } from '../src/site/open.ts';
import { openArchive } from '../src/archive/index.ts';
import { createMedia, resolveFfmpeg } from '../src/media/index.ts';
import { createIngest } from '../src/ingest/pipeline.ts';
import { ingestGates } from '../src/site/wire.ts';
import { createAccess } from '../src/access/index.ts';
import { extractStored } from '../src/cli/commands.ts';
import { openRequest, verifyIdentity, buildBundle } from '../src/privacy/index.ts';
import { buildPackage } from '../src/privacy/package.ts';
import { makeAudio } from '../test/helpers/audio.ts';
import { defaultFfmpegPath } from './bench-ingest-baseline.ts';

const { values: opt } = parseArgs({ options: { calls: { type: 'string', default: '100' }, seconds: { type: 'string', default: '180' }, rounds: { type: 'string', default: '3' } } });
const N = Number(opt.calls);
const SECONDS = Number(opt.seconds);
const ROUNDS = Number(opt.rounds);
const say = (s: string) => process.stderr.write(`bench-package: ${s}\n`);
const CALLER = '015120004711';

const dir = mkdtempSync(join(tmpdir(), 'tresor-bench-package-'));
try {
  const config: Config = { ...defaultConfig(), dataDir: join(dir, 'data'), inbox: join(dir, 'inbox') };
  config.privacy = { ...config.privacy, controller: { name: 'Bench GmbH', address: 'Hauptstraße 1, Berlin', email: 'dsb@bench.example' }, purposes: ['Qualitätssicherung'] };
  mkdirSync(config.inbox, { recursive: true });
  const site = openSite(config, { create: true });
  const archive = openArchive(config.dataDir, site.store);
  const ffmpeg = defaultFfmpegPath();
  const media = createMedia(await resolveFfmpeg(ffmpeg), { timeoutMs: 300_000, stallMs: 60_000 });
  const ingest = createIngest({ config: { ...config, ingest: { ...config.ingest, disposition: 'delete' } }, store: site.store, keys: site.keys, archive, log: site.log, media, gates: ingestGates(config, site) });
  const access = createAccess({ store: site.store, keys: site.keys, archive, log: site.log });

  // N different calls of one caller, ingested two at a time (the default worker count)
  const src = join(dir, 'src');
  mkdirSync(src);
  const ids: string[] = [];
  const t0 = performance.now();
  let next = 0;
  const day = new Date(Date.now() - 86_400_000);
  const ymd = `${day.getFullYear()}${String(day.getMonth() + 1).padStart(2, '0')}${String(day.getDate()).padStart(2, '0')}`;
  const worker = async () => {
    for (let i = next++; i < N; i = next++) {
      const hh = String(8 + Math.floor(i / 60)).padStart(2, '0');
      const mm = String(i % 60).padStart(2, '0');
      const name = `in-4930123456-${CALLER}-${ymd}-${hh}${mm}00-1764254400.${i}.wav`;
      const path = await makeAudio(src, name, { format: 'wav-pcm8k', seconds: SECONDS, source: 'noise', seed: 100 + i });
      const o = await ingest.ingestFile({ path, relPath: name, sidecarPath: null });
      if (o.status !== 'archived') throw new Error(`ingest of ${name}: ${JSON.stringify(o)}`);
      ids.push(o.id);
      if (ids.length % 10 === 0) say(`ingested ${ids.length}/${N}`);
    }
  };
  await Promise.all([worker(), worker()]);
  ids.sort();
  await site.log.checkpointNow();
  say(`ingested ${N} calls of ${SECONDS} s in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const dpo = { kind: 'user' as const, name: 'dora', actor: 'user:dora', roles: ['dpo' as const, 'supervisor' as const] };
  const deps = { store: site.store, log: site.log, keys: site.keys, phone: config.phone, access };
  const req = await openRequest(deps, dpo.actor, { kind: 'access', number: `+49${CALLER.slice(1)}` });
  await verifyIdentity(deps, dpo.actor, req.id, { method: 'id card' });
  const settings = { dataDir: config.dataDir, controller: config.privacy.controller, dpo: config.privacy.dpo, purposes: config.privacy.purposes };

  const out = join(dir, 'out');
  const sides = {
    async extract(r: number) {
      const d = join(out, `extract-${r}`);
      mkdirSync(d, { recursive: true });
      for (const id of ids) await extractStored(access, dpo, id, join(d, `${id}.ogg`));
    },
    async package(r: number) {
      const res = await buildPackage(deps, dpo, req.id, { out: join(out, `package-${r}`), lang: 'de', settings, calls: ids });
      if (res.calls.length !== N) throw new Error(`package holds ${res.calls.length} calls`);
    },
    async bundle(r: number) {
      const res = await buildBundle(deps, dpo, { ids }, { out: join(out, `bundle-${r}`), caseRef: `AZ ${r}/26`, lang: 'de', approvalOver: N });
      if (res.calls.length !== N) throw new Error(`bundle holds ${res.calls.length} calls`);
    },
  };
  type Side = keyof typeof sides;
  const times: Record<Side, number[]> = { extract: [], package: [], bundle: [] };
  const orders: Side[][] = [['extract', 'package', 'bundle'], ['bundle', 'package', 'extract'], ['package', 'extract', 'bundle']];
  for (let r = 0; r < ROUNDS; r++) {
    for (const side of orders[r % orders.length]!) {
      const t = performance.now();
      await sides[side](r);
      times[side].push(performance.now() - t);
      say(`round ${r + 1}: ${side} ${(times[side].at(-1)! / 1000).toFixed(2)} s`);
    }
    rmSync(out, { recursive: true, force: true });
  }
  await archive.close();
  await site.close();

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const ratio = (side: Side) => times[side].map((x, i) => x / times.extract[i]!);
  const line = (what: string, value: string, goal = '') => process.stdout.write(`  ${what.padEnd(52)} ${value.padEnd(26)} ${goal}\n`);
  process.stdout.write(`\naccess package and evidence bundle (${N} calls of ${SECONDS} s, median of ${ROUNDS} rounds)\n`);
  line('tresor extract of every call', `${(median(times.extract) / 1000).toFixed(2)} s`);
  line('access package (Art. 15)', `${(median(times.package) / 1000).toFixed(2)} s`);
  line('evidence bundle', `${(median(times.bundle) / 1000).toFixed(2)} s`);
  line('ratio package/extract', median(ratio('package')).toFixed(2), `goal ≤ 1.3 (rounds: ${ratio('package').map((x) => x.toFixed(2)).join(', ')})`);
  line('ratio bundle/extract', median(ratio('bundle')).toFixed(2), `goal ≤ 1.3 (rounds: ${ratio('bundle').map((x) => x.toFixed(2)).join(', ')})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
