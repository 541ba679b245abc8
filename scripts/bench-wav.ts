// Benchmarks the service's memory while it serves a WAV download of a long call (issue 16
// #9: a 1-hour call once took the service from 120 MB to 1.19 GB): the real `tresor serve`
// on loopback, a signed-in console session, `GET /recordings/:id/download?format=wav` read
// as fast as the client can. Baseline in the same run: the same service's idle RSS, after
// the login (whose scrypt alone needs 128 MiB; its peak is cleared before the download).
// Measured: the peak resident set of the service process during the download (VmHWM after
// a reset through /proc/PID/clear_refs, and VmRSS sampled every 20 ms), ffmpeg not
// included (its own process). Goal: under 300 MB.
//
// Usage: tsx scripts/bench-wav.ts [--seconds 3600] [--rate 48000]
// The source call is generated once and cached under .bench/ (48 kHz: Ogg/Opus, other rates:
// FLAC). A 48 kHz call makes the WAV as large as in the issue (345.6 MB for an hour).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultConfig, type Config } from '../src/config/index.ts';
import { openSite } from '../src/site/open.ts';
import { openArchive } from '../src/archive/index.ts';
import { createMedia, resolveFfmpeg } from '../src/media/index.ts';
import { createIngest } from '../src/ingest/pipeline.ts';
import { ingestGates } from '../src/site/wire.ts';
import { addUser } from '../src/auth/index.ts';
import { defaultFfmpegPath } from './bench-ingest-baseline.ts';

const ROOT = resolve(import.meta.dirname, '..');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('seconds', 3600);
const RATE = arg('rate', 48000);
const PASSWORD = 'bench password 1234';
const say = (s: string) => process.stderr.write(`${s}\n`);
const ffmpeg = defaultFfmpegPath();

/** A long call, made once: pink noise under a slow tone sweep, mono, at RATE. */
function sourceCall(): string {
  const dir = join(ROOT, '.bench');
  mkdirSync(dir, { recursive: true });
  const ext = RATE === 48000 ? 'opus' : 'flac';
  const path = join(dir, `wav-call-${SECONDS}s-${RATE}.${ext}`);
  if (existsSync(path)) return path;
  say(`generating a ${SECONDS} s call at ${RATE} Hz (cached in .bench/ for next time)`);
  const codec = ext === 'opus' ? ['-c:a', 'libopus', '-b:a', '24k', '-application', 'voip', '-compression_level', '0', '-f', 'ogg'] : ['-c:a', 'flac', '-f', 'flac'];
  const r = spawnSync(ffmpeg, ['-nostdin', '-loglevel', 'error', '-filter_complex',
    `anoisesrc=color=pink:amplitude=0.1:sample_rate=${RATE}:duration=${SECONDS}[n];sine=frequency=300:sample_rate=${RATE}:duration=${SECONDS}[s];[n][s]amix=inputs=2[out]`,
    '-map', '[out]', '-ac', '1', ...codec, '-y', `${path}.part`]);
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  renameSync(`${path}.part`, path);
  return path;
}

const dir = mkdtempSync(join(tmpdir(), 'tresor-bench-wav-'));
const config: Config = { ...defaultConfig(), dataDir: join(dir, 'data'), inbox: join(dir, 'inbox'), port: 0 };
mkdirSync(config.inbox, { recursive: true });
let child: ChildProcess | null = null;

try {
  // 1. The call through the real ingest, in this process (its memory is not the service's).
  const src = sourceCall();
  const site = openSite(config, { create: true });
  const archive = openArchive(config.dataDir, site.store);
  const media = createMedia(await resolveFfmpeg(ffmpeg), { timeoutMs: 3600_000, stallMs: 120_000 });
  const ingest = createIngest({ config: { ...config, ingest: { ...config.ingest, disposition: 'keep' } }, store: site.store, keys: site.keys, archive, log: site.log, media, gates: ingestGates(config, site) });
  const t0 = performance.now();
  const o = await ingest.ingestFile({ path: src, relPath: `in-4930123456-015112345678-20261127-101500-1764250000.1.${src.split('.').pop()}`, sidecarPath: null });
  if (o.status !== 'archived') throw new Error(`ingest: ${JSON.stringify(o)}`);
  say(`ingested the ${SECONDS} s call in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await addUser(site.store, site.log, 'cli:bench', { name: 'sup', roles: ['supervisor'], password: PASSWORD });
  await archive.close();
  await site.close();

  // 2. The real service on that data dir.
  const cfgFile = join(dir, 'tresor.json');
  writeFileSync(cfgFile, JSON.stringify({ port: 0 }));
  child = spawn(join(ROOT, 'scripts/tresor'), ['serve'], {
    env: { ...process.env, TRESOR_CONFIG: cfgFile, TRESOR_DATA_DIR: config.dataDir, TRESOR_INBOX: config.inbox, TRESOR_FFMPEG: ffmpeg },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const started = Date.now();
  while (!/console on (http:\/\/\S+),/.test(err)) {
    if (child.exitCode !== null || Date.now() - started > 120_000) throw new Error(`service did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /console on (http:\/\/\S+),/.exec(err)![1]!;
  const status = () => readFileSync(`/proc/${child!.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status())?.[1]) / 1024;

  // 3. Sign in as a browser does.
  const loginPage = await fetch(`${url}/login`);
  const pre = loginPage.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1]!;
  const login = await fetch(`${url}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { Origin: url, Cookie: pre, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, name: 'sup', password: PASSWORD }).toString(),
  });
  if (login.status !== 303) throw new Error(`login: ${login.status}`);
  const cookie = [pre, ...login.headers.getSetCookie().map((c) => c.split(';')[0]!)].join('; ');

  // 4. Idle baseline: let the login's scrypt memory go, then clear the peak counter.
  await new Promise((r) => setTimeout(r, 2000));
  const idle = kb('VmRSS');
  const hwmReset = (() => {
    try {
      writeFileSync(`/proc/${child!.pid}/clear_refs`, '5'); // resets VmHWM to the current RSS (Linux ≥ 4.0)
      return true;
    } catch {
      return false;
    }
  })();

  // 5. The download, read as fast as the client can, RSS sampled meanwhile.
  let sampled = idle;
  const sampler = setInterval(() => (sampled = Math.max(sampled, kb('VmRSS'))), 20);
  const t1 = performance.now();
  const res = await fetch(`${url}/recordings/${o.id}/download?format=wav`, { headers: { Cookie: cookie } });
  if (res.status !== 200) throw new Error(`download: ${res.status} ${await res.text()}`);
  let firstByteMs = 0;
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (bytes === 0) firstByteMs = performance.now() - t1;
    bytes += chunk.length;
  }
  const secs = (performance.now() - t1) / 1000;
  clearInterval(sampler);
  const peak = hwmReset ? Math.max(kb('VmHWM'), sampled) : sampled;
  const declared = Number(res.headers.get('Content-Length'));
  if (bytes !== declared) throw new Error(`download: ${bytes} bytes but Content-Length ${declared}`);

  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  console.log([
    `WAV download bench: a ${SECONDS} s call recorded at ${RATE} Hz, mono, real service on loopback`,
    `  response                     ${mb(bytes)} in ${secs.toFixed(1)} s (${(bytes / 1e6 / secs).toFixed(0)} MB/s), first byte after ${firstByteMs.toFixed(0)} ms`,
    `  service RSS idle (baseline)  ${idle.toFixed(0)} MiB`,
    `  service RSS peak, download   ${peak.toFixed(0)} MiB (goal < 300 MB)  = ${(peak / idle).toFixed(2)}× idle, +${(peak - idle).toFixed(0)} MiB` +
      (hwmReset ? '' : '  (sampled every 20 ms: VmHWM could not be reset)'),
  ].join('\n'));
} finally {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
}
