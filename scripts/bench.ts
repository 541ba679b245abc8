#!/usr/bin/env -S npx tsx
// `npm run bench`: Tresor against baselines measured in the same run, on this machine.
//
//   tsx scripts/bench.ts [--count 12] [--workers 2] [--rounds 5] [--latency 3]
//                        [--audit-size 1000000] [--console-size 1000000] [--purge-size 100000]
//                        [--skip-ingest] [--skip-audit] [--skip-console] [--skip-retention]
//                        [--wav-seconds 3600] [--skip-wav]
//                        [--alerts-recordings 1000000] [--alerts-log 10000000] [--skip-alerts]
//                        [--skip-cli-start] [--package-calls 100] [--skip-package]
//
// Ingest: a generated corpus of realistic calls (scripts/gen-corpus.ts, cached under
// .bench/) goes through bare ffmpeg (scripts/bench-ingest-baseline.ts: the same Opus
// settings, the same parallelism) and through the real service (`scripts/tresor serve`,
// fresh data directory, files renamed into its inbox at once). Rounds alternate the two
// so a warm or busy machine does not favour either side. Reported: wall-time ratio
// Tresor / ffmpeg (goal ≤ 1.10), recordings per minute, real-time factor, peak RSS of
// the service process (goal ≤ 200 MB), and the latency from "file settled" to
// "archived" for 3-minute calls dropped into an idle service.
//
// Tresor's wall time runs from the rename into the inbox to the last "archived" line and
// so contains one settle window (ingest.settleSeconds, 0.5 s here, 5 s by default) that
// bare ffmpeg does not wait; the ratio is printed both with and without it.
//
// Audit log: scripts/bench-audit.ts (durable appends, proofs at 1M entries, signing,
// verify.mjs), run as its own process so its memory does not count against the service;
// scripts/bench-verify.ts (verify.mjs on 1M entries against its reference path).
//
// WAV download: scripts/bench-wav.ts (service RSS while it streams a 1-hour call as WAV,
// against its idle RSS in the same run; goal < 300 MB).
//
// Access package and evidence bundle: scripts/bench-package.ts (N three-minute calls
// ingested once; extract, package and bundle of them in alternating rounds; goal ≤ 1.3×
// each against `tresor extract`).
//
// CLI start-up: scripts/bench-cli-start.ts (`tresor status` and `--help` wall time against
// `node -e 0` in the same run; goal status ≤ 0.5 s).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateCorpus, type Corpus } from './gen-corpus.ts';
import { defaultFfmpegPath, runBareFfmpeg, wavInfo } from './bench-ingest-baseline.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TRESOR = join(ROOT, 'scripts/tresor');
const SETTLE_S = 0.5;
const OPUS_KBPS = 16; // Tresor's defaults (src/config/schema.ts)
const OPUS_LEVEL = 5;

const { values: opt } = parseArgs({
  options: {
    count: { type: 'string', default: '12' },
    workers: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    latency: { type: 'string', default: '3' },
    'audit-size': { type: 'string', default: '1000000' },
    'skip-ingest': { type: 'boolean', default: false },
    'skip-audit': { type: 'boolean', default: false },
    'console-size': { type: 'string', default: '1000000' },
    'skip-console': { type: 'boolean', default: false },
    'purge-size': { type: 'string', default: '100000' },
    'skip-retention': { type: 'boolean', default: false },
    'wav-seconds': { type: 'string', default: '3600' },
    'skip-wav': { type: 'boolean', default: false },
    'alerts-recordings': { type: 'string', default: '1000000' },
    'alerts-log': { type: 'string', default: '10000000' },
    'skip-alerts': { type: 'boolean', default: false },
    'skip-cli-start': { type: 'boolean', default: false },
    'package-calls': { type: 'string', default: '100' },
    'skip-package': { type: 'boolean', default: false },
  },
});
const COUNT = Number(opt.count);
const WORKERS = Number(opt.workers);
const ROUNDS = Number(opt.rounds);
const LATENCY_PROBES = Number(opt.latency);
const say = (s: string) => process.stderr.write(`bench: ${s}\n`);
const ffmpegPath = defaultFfmpegPath();

/** Generates (or reuses) a corpus under .bench/, keyed by its parameters. */
async function corpus(name: string, count: number, minSeconds: number, maxSeconds: number): Promise<Corpus> {
  const dir = join(ROOT, '.bench', name);
  const manifest = join(dir, '.corpus.json');
  if (existsSync(manifest)) {
    const c = JSON.parse(readFileSync(manifest, 'utf8')) as Corpus;
    for (const f of c.files) f.path = join(dir, f.relPath); // the manifest holds relative paths
    if (c.files.length === count && c.files.every((f) => existsSync(f.path))) return c;
  }
  rmSync(dir, { recursive: true, force: true });
  say(`generating corpus ${name}: ${count} calls, ${minSeconds}-${maxSeconds} s (cached in .bench/ for next time)`);
  return generateCorpus({
    out: dir, count, seed: name, minSeconds, maxSeconds, ffmpegPath,
    onProgress: (done, total) => say(`  corpus ${done}/${total}`),
  });
}

interface Site { dir: string; dataDir: string; inbox: string; staging: string; env: NodeJS.ProcessEnv }

function newSite(): Site {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-bench-'));
  const site = { dir, dataDir: join(dir, 'data'), inbox: join(dir, 'inbox'), staging: join(dir, 'staging'), env: {} };
  mkdirSync(site.inbox, { recursive: true });
  mkdirSync(site.staging, { recursive: true });
  const config = join(dir, 'tresor.json');
  writeFileSync(config, JSON.stringify({
    port: 0,
    // the default scan interval: fs.watch hints and settle deadlines wake the scanner
    // early, and a faster rescan would only spend CPU the transcodes need
    ingest: { settleSeconds: SETTLE_S, workers: WORKERS, opusKbpsPerChannel: OPUS_KBPS, opusCompressionLevel: OPUS_LEVEL },
  }));
  site.env = { ...process.env, TRESOR_CONFIG: config, TRESOR_DATA_DIR: site.dataDir, TRESOR_INBOX: site.inbox, TRESOR_FFMPEG: ffmpegPath };
  return site;
}

/** A running service whose stderr lines are time-stamped as they arrive. */
class Service {
  readonly child: ChildProcess;
  readonly archivedAt: number[] = [];
  private text = '';
  constructor(site: Site) {
    this.child = spawn(TRESOR, ['serve'], { env: site.env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      const now = performance.now();
      for (const line of d.split('\n')) if (/^tresor: archived /.test(line)) this.archivedAt.push(now);
      this.text += d;
    });
  }
  async until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!ok()) {
      if (this.child.exitCode !== null) throw new Error(`service exited (${this.child.exitCode}) while waiting for ${what}:\n${this.text}`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; service said:\n${this.text.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  started(): Promise<void> {
    return this.until('the service to start', () => /console on/.test(this.text), 60_000);
  }
  /** VmHWM: the largest resident set the service process ever had (ffmpeg children not included). */
  peakRssMiB(): number {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  }
  errors(): string[] {
    return this.text.split('\n').filter((l) => /quarantined|failed|not taking|deferred/.test(l));
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return; // already gone
    this.child.kill('SIGTERM');
    await new Promise((r) => this.child.once('exit', r));
  }
}

/** Copies the corpus into the site's staging dir (same filesystem as the inbox, so the later rename is atomic). */
function stage(site: Site, c: Corpus): string[] {
  return c.files.map((f) => {
    const p = join(site.staging, f.relPath);
    mkdirSync(dirname(p), { recursive: true });
    copyFileSync(f.path, p);
    return f.relPath;
  });
}

function release(site: Site, rel: string): void {
  const to = join(site.inbox, rel);
  mkdirSync(dirname(to), { recursive: true });
  renameSync(join(site.staging, rel), to);
}

/**
 * A fresh site with the corpus staged beside its inbox and the service started; `run` gets
 * the staged paths. The service is stopped and the site removed whatever happens, so a
 * failed run leaves no service behind to hold the bench process open.
 */
async function withService<T>(c: Corpus, run: (svc: Service, release: (rel: string) => void, rels: string[]) => Promise<T>): Promise<T> {
  const site = newSite();
  let svc: Service | null = null;
  try {
    const rels = stage(site, c);
    svc = new Service(site);
    await svc.started();
    return await run(svc, (rel) => release(site, rel), rels);
  } finally {
    await svc?.stop();
    rmSync(site.dir, { recursive: true, force: true });
  }
}

function tresorIngest(c: Corpus): Promise<{ wallMs: number; peakRssMiB: number }> {
  return withService(c, async (svc, release, rels) => {
    const t0 = performance.now();
    for (const rel of rels) release(rel);
    await svc.until(`${rels.length} recordings archived`, () => svc.archivedAt.length >= rels.length || svc.errors().length > 0, 30 * 60_000);
    if (svc.errors().length) throw new Error(`ingest reported problems:\n${svc.errors().join('\n')}`);
    return { wallMs: Math.max(...svc.archivedAt) - t0, peakRssMiB: svc.peakRssMiB() };
  });
}

/** Drops each call into an idle service, one at a time; settled→archived = drop→archived − settle window. */
function latency(c: Corpus): Promise<number[]> {
  return withService(c, async (svc, release, rels) => {
    const out: number[] = [];
    for (const rel of rels) {
      const before = svc.archivedAt.length;
      const t0 = performance.now();
      release(rel);
      await svc.until(`${rel} archived`, () => svc.archivedAt.length > before || svc.errors().length > 0, 10 * 60_000);
      if (svc.errors().length) throw new Error(svc.errors().join('\n'));
      out.push(svc.archivedAt[before]! - t0 - SETTLE_S * 1000);
    }
    return out;
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const rows: [string, string, string][] = [];
const row = (what: string, value: string, goal = '') => {
  rows.push([what, value, goal]);
  process.stdout.write(`  ${what.padEnd(52)} ${value.padEnd(26)} ${goal}\n`);
};

if (!opt['skip-ingest']) {
  const c = await corpus(`corpus-${COUNT}`, COUNT, 30, 900);
  const files = c.files.map((f) => f.path);
  const audioS = files.reduce((s, f) => s + wavInfo(f).seconds, 0);
  say(`ingest: ${files.length} files, ${(audioS / 60).toFixed(1)} min of audio, ${WORKERS} workers, ${ROUNDS} round(s)`);
  const bare: number[] = [];
  const tresor: number[] = [];
  let peak = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['ffmpeg', 'tresor'] : ['tresor', 'ffmpeg'];
    for (const side of order) {
      if (side === 'ffmpeg') {
        say(`round ${r + 1}: bare ffmpeg`);
        bare.push((await runBareFfmpeg(files, { parallel: WORKERS, ffmpegPath, kbpsPerChannel: OPUS_KBPS, compressionLevel: OPUS_LEVEL })).wallMs);
      } else {
        say(`round ${r + 1}: tresor serve`);
        const t = await tresorIngest(c);
        tresor.push(t.wallMs);
        peak = Math.max(peak, t.peakRssMiB);
      }
    }
  }
  const b = median(bare);
  const t = median(tresor);
  // Ratios are paired per round (both sides ran back to back on the same machine state),
  // then the median is taken: a noisy neighbour then moves both sides of one ratio.
  const net = tresor.map((x, i) => (x - SETTLE_S * 1000) / bare[i]!);
  const gross = tresor.map((x, i) => x / bare[i]!);
  process.stdout.write(`\ningest (${files.length} calls, ${(audioS / 60).toFixed(1)} min, ${WORKERS} workers, median of ${ROUNDS} rounds)\n`);
  row('bare ffmpeg wall', `${(b / 1000).toFixed(2)} s`);
  row('tresor wall (rename into inbox → last archived)', `${(t / 1000).toFixed(2)} s`);
  row('ratio tresor/ffmpeg, settle window excluded', median(net).toFixed(3), `goal ≤ 1.10 (rounds: ${net.map((x) => x.toFixed(2)).join(', ')})`);
  row(`ratio tresor/ffmpeg, incl. ${SETTLE_S} s settle window`, median(gross).toFixed(3));
  row('recordings per minute', (files.length / (t / 60_000)).toFixed(1));
  row('real-time factor (audio s per wall s)', `${(audioS / (t / 1000)).toFixed(0)}x`);
  row('peak RSS of the service', `${peak.toFixed(0)} MiB`, 'goal ≤ 200 MB');

  if (LATENCY_PROBES > 0) {
    const probes = await corpus(`latency-${LATENCY_PROBES}`, LATENCY_PROBES, 180, 180);
    say(`latency: ${probes.files.length} calls of ~180 s, one at a time into an idle service`);
    const ms = await latency(probes);
    row('settled → archived, 3-minute call (median)', `${(median(ms) / 1000).toFixed(2)} s`, `(each: ${ms.map((x) => (x / 1000).toFixed(2)).join(', ')} s)`);
  }
}

if (!opt['skip-audit']) {
  process.stdout.write('\naudit log\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench-audit.ts'), '--size', String(opt['audit-size'])], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) process.exitCode = 1;
  // verify.mjs against its reference path, same run (issue 13: ≥ 300,000 entries/s)
  const v = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench-verify.ts'), '--size', String(opt['audit-size'])], { stdio: 'inherit', cwd: ROOT });
  if (v.status !== 0) process.exitCode = 1;
  // a witness cosigning each checkpoint, against signing alone (issue 13: ≤ 3×)
  const wt = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench-witness.ts')], { stdio: 'inherit', cwd: ROOT });
  if (wt.status !== 0) process.exitCode = 1;
}

if (!opt['skip-console']) {
  process.stdout.write('\nconsole and API\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench-console.ts'), '--size', String(opt['console-size'])], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) process.exitCode = 1;
}

if (!opt['skip-retention']) {
  process.stdout.write('\nretention\n');
  for (const [script, args] of [['bench-purge.ts', ['--size', String(opt['purge-size'])]], ['bench-compact.ts', []]] as const) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', script), ...args], { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) process.exitCode = 1;
  }
}

if (!opt['skip-wav']) {
  process.stdout.write('\nWAV download\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench-wav.ts'), '--seconds', String(opt['wav-seconds'])], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) process.exitCode = 1;
}

if (!opt['skip-alerts']) {
  process.stdout.write('\nalert rules\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench-alerts.ts'), '--recordings', String(opt['alerts-recordings']), '--log', String(opt['alerts-log'])], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) process.exitCode = 1;
}

if (!opt['skip-package']) {
  process.stdout.write('\naccess package and evidence bundle\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench-package.ts'), '--calls', String(opt['package-calls'])], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) process.exitCode = 1;
}

if (!opt['skip-cli-start']) {
  process.stdout.write('\nCLI start-up\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench-cli-start.ts')], { stdio: 'inherit', cwd: ROOT });
  if (r.status !== 0) process.exitCode = 1;
}
