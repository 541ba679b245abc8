// The cost of the alert rules (issue 14 "Measure"): one evaluation of every rule over a
// big site — 1M recordings, 10M log entries spread over 30 days with the last hour as busy
// as the average — as CPU time, and as a share of one core at the default evaluation
// interval (alerts.intervalSeconds, 60 s; goal under 1 %). Baseline in the same run: the
// CPU the same process uses over the same wall time doing nothing (an idle service's
// floor: timers, GC). Also the charts page's numbers (30 days) over the same data, since
// they read the same log.
//
// The log lines are written straight into the log table (no hash chain: the rules only
// read lines, and building a 10M-entry tree would dominate the run; so the bench times
// gathering the inputs and the rules, not the one log entry a new alert appends); the recordings are
// clones of one real ingested call's row with ids spread over 90 days.
//
// Usage: tsx scripts/bench-alerts.ts [--recordings 1000000] [--log 10000000] [--evaluations 5]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultConfig, type Config } from '../src/config/index.ts';
import { openSite } from '../src/site/open.ts';
import { openArchive } from '../src/archive/index.ts';
import { createMedia, resolveFfmpeg } from '../src/media/index.ts';
import { createIngest } from '../src/ingest/pipeline.ts';
import { ingestGates } from '../src/site/wire.ts';
import { newId } from '../src/core/ids.ts';
import { accessesPerDay, archivedPerDay, evaluateRules, gatherInputs } from '../src/alerts/index.ts';
import { defaultFfmpegPath } from './bench-ingest-baseline.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RECORDINGS = arg('recordings', 1_000_000);
const LOG = arg('log', 10_000_000);
const EVALS = arg('evaluations', 5);
const say = (s: string) => process.stderr.write(`bench-alerts: ${s}\n`);
const DAY = 86_400_000;

const dir = mkdtempSync(join(tmpdir(), 'tresor-bench-alerts-'));
const config: Config = { ...defaultConfig(), dataDir: join(dir, 'data'), inbox: join(dir, 'inbox'), port: 0 };
mkdirSync(config.inbox, { recursive: true });
try {
  const site = openSite(config, { create: true });
  const archive = openArchive(config.dataDir, site.store);
  const ffmpeg = defaultFfmpegPath();
  const media = createMedia(await resolveFfmpeg(ffmpeg), { timeoutMs: 120_000, stallMs: 60_000 });
  const ingest = createIngest({ config: { ...config, ingest: { ...config.ingest, disposition: 'delete' } }, store: site.store, keys: site.keys, archive, log: site.log, media, gates: ingestGates(config, site) });
  const path = join(dir, 'in-4930123456-015120000000-20261127-101500-1764250000.1.wav');
  spawnSync(ffmpeg, ['-nostdin', '-loglevel', 'error', '-filter_complex', 'anoisesrc=color=pink:amplitude=0.2:sample_rate=8000:duration=10', '-c:a', 'pcm_s16le', '-y', path]);
  const o = await ingest.ingestFile({ path, relPath: 'call.wav', sidecarPath: null });
  if (o.status !== 'archived') throw new Error(`ingest: ${JSON.stringify(o)}`);
  const template = site.store.recordings.get(o.id)!;
  const now = Date.now();

  let t0 = performance.now();
  const BATCH = 20_000;
  for (let i = 0; i < RECORDINGS; i += BATCH) {
    await site.store.tx(() => {
      for (let j = i; j < Math.min(RECORDINGS, i + BATCH); j++) {
        const at = now - 90 * DAY + Math.floor((j / RECORDINGS) * 90 * DAY);
        site.store.recordings.put({ ...template, id: newId(at), start: at - 600_000, ingestedAt: at });
      }
    });
  }
  say(`${RECORDINGS.toLocaleString('en')} recordings in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // 10M entries over 30 days: about 14,000 an hour; one in five an access by one of 50 users
  t0 = performance.now();
  const start = site.store.log.tip() + 1;
  const ACTIONS = ['recording.archived', 'recording.played', 'recording.viewed', 'recording.searched', 'auth.login', 'recording.purged', 'checkpoint.signed', 'recording.downloaded', 'recording.archived', 'recording.archived'];
  for (let i = 0; i < LOG; i += BATCH) {
    await site.store.tx(() => {
      for (let j = i; j < Math.min(LOG, i + BATCH); j++) {
        const at = now - 30 * DAY + Math.floor((j / LOG) * 30 * DAY);
        const action = ACTIONS[j % ACTIONS.length]!;
        const actor = action === 'recording.archived' || action === 'checkpoint.signed' ? 'system:ingest' : `user:u${j % 50}`;
        const target = `recording:${newId(at)}`;
        const line = JSON.stringify({ v: 1, seq: start + j, time: new Date(at).toISOString(), actor, action, target, detail: action === 'recording.searched' ? { filters: { phoneToken: `t${j % 997}` } } : {}, prev: '0'.repeat(64) });
        site.store.log.append(start + j, line, target, actor);
      }
    });
  }
  say(`${LOG.toLocaleString('en')} log entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // what an evaluation costs: gathering the inputs and running the rules. Raising (one log
  // entry per new episode) is left out: these log lines have no hash tree behind them.
  const evaluate = async () => evaluateRules(await gatherInputs({ store: site.store, config, createdAt: now - 90 * DAY, live: { oldestWaitingSince: null, witnesses: [], selfCheck: null } }), config.alerts.rules);
  say(`firing on this data: ${(await evaluate()).map((f) => f.key).join(', ') || 'none'}`); // warm: the disk-growth cache fills once per 10 minutes, as in service
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

  // baseline: the same process idle for as long as the evaluations take
  const evalCpu: number[] = [];
  const evalWall: number[] = [];
  for (let k = 0; k < EVALS; k++) {
    const c0 = cpu();
    const w0 = performance.now();
    await evaluate();
    evalWall.push(performance.now() - w0);
    evalCpu.push(cpu() - c0);
  }
  const wall = evalWall.reduce((a, b) => a + b, 0);
  const c0 = cpu();
  await new Promise((r) => setTimeout(r, Math.max(1000, wall)));
  const idlePerMs = (cpu() - c0) / Math.max(1000, wall);
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const perEval = median(evalCpu);
  const interval = config.alerts.intervalSeconds * 1000;
  const share = perEval / interval;
  const idleShare = idlePerMs; // CPU ms per wall ms while idle = share of one core
  process.stdout.write(`alert rules over ${RECORDINGS.toLocaleString('en')} recordings, ${LOG.toLocaleString('en')} log entries (last hour ${Math.round(LOG / 720).toLocaleString('en')}):\n`);
  process.stdout.write(`  one evaluation: ${perEval.toFixed(1)} ms CPU (median of ${EVALS}; wall ${median(evalWall).toFixed(1)} ms)\n`);
  process.stdout.write(`  at the ${config.alerts.intervalSeconds} s interval: ${(share * 100).toFixed(3)} % of one core (goal < 1 %); idle process floor ${(idleShare * 100).toFixed(3)} % (ratio ${(share / Math.max(idleShare, 1e-6)).toFixed(1)}x idle)\n`);

  t0 = performance.now();
  const acc = accessesPerDay(site.store, now, 30);
  const accMs = performance.now() - t0;
  t0 = performance.now();
  archivedPerDay(site.store, now, 30);
  const arcMs = performance.now() - t0;
  process.stdout.write(`  charts (30 days): accesses per day ${accMs.toFixed(0)} ms over ${acc.scanned.toLocaleString('en')} lines${acc.partial ? ' (budget reached: oldest days partial)' : ''}; calls per day ${arcMs.toFixed(0)} ms\n`);
  await archive.close();
  await site.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
