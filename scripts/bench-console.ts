// Benchmarks the console and API with a big index: search latency, time to the first
// audio byte, recording-page throughput and the service's memory — against the real
// `tresor serve` over loopback HTTP. Baseline in the same run: GET /healthz on the same
// server (a route that does no work), so each number also shows as a ratio to the
// HTTP floor of this machine.
// Usage: tsx scripts/bench-console.ts [--size N (default 1000000)] [--calls N (real calls, default 20)]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { defaultConfig, type Config } from '../src/config/index.ts';
import { openSite } from '../src/site/open.ts';
import { openArchive } from '../src/archive/index.ts';
import { createMedia, resolveFfmpeg } from '../src/media/index.ts';
import { createIngest } from '../src/ingest/pipeline.ts';
import { ingestGates } from '../src/site/wire.ts';
import { newId } from '../src/core/ids.ts';
import { compactIndex, type RecordingRow } from '../src/store/index.ts';
import { addUser, createApiToken } from '../src/auth/index.ts';
import { defaultFfmpegPath } from './bench-ingest-baseline.ts';

const ROOT = resolve(import.meta.dirname, '..');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('size', 1_000_000);
const CALLS = arg('calls', 20);
const say = (s: string) => process.stderr.write(`${s}\n`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const PASSWORD = 'bench password 1234';

// a deterministic PRNG, so two runs search for the same things
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
const customer = (i: number) => `+49151${String(10_000_000 + i).slice(-8)}`;
const CUSTOMERS = Math.max(10, Math.floor(N / 5));
const AGENTS = Array.from({ length: 300 }, (_, i) => `agent${i}`);
const QUEUES = Array.from({ length: 20 }, (_, i) => `queue${i}`);

const dir = mkdtempSync(join(tmpdir(), 'tresor-bench-console-'));
const config: Config = { ...defaultConfig(), dataDir: join(dir, 'data'), inbox: join(dir, 'inbox'), port: 0 };
mkdirSync(config.inbox, { recursive: true });
let child: ChildProcess | null = null;

try {
  // 1. Real calls through the real pipeline: 3-minute noise calls (Opus, ~360 KB each).
  const site = openSite(config, { create: true });
  const archive = openArchive(config.dataDir, site.store);
  const ffmpeg = defaultFfmpegPath();
  const media = createMedia(await resolveFfmpeg(ffmpeg), { timeoutMs: 120_000, stallMs: 60_000 });
  const ingest = createIngest({ config: { ...config, ingest: { ...config.ingest, disposition: 'delete' } }, store: site.store, keys: site.keys, archive, log: site.log, media, gates: ingestGates(config, site) });
  const work = join(dir, 'calls');
  mkdirSync(work);
  const templates: RecordingRow[] = [];
  for (let i = 0; i < CALLS; i++) {
    const name = `in-4930123456-0151${String(20000000 + i)}-20261127-101500-17642500${String(i).padStart(2, '0')}.${i}.wav`;
    const path = join(work, name);
    spawnSync(ffmpeg, ['-nostdin', '-loglevel', 'error', '-filter_complex', `anoisesrc=color=pink:amplitude=0.2:sample_rate=8000:duration=180:seed=${i + 1}`, '-c:a', 'pcm_s16le', '-y', path]);
    const o = await ingest.ingestFile({ path, relPath: name, sidecarPath: null });
    if (o.status !== 'archived') throw new Error(`ingest: ${JSON.stringify(o)}`);
    templates.push(site.store.recordings.get(o.id)!);
  }
  say(`ingested ${CALLS} real 3-minute calls`);

  // 2. Synthetic index rows around them: each points at a real call's audio and keys, with
  // its own id, time, queue, direction, consent, duration and tokens (two years of calls).
  const now = Date.now();
  const span = 2 * 365 * 86400_000;
  const t0 = performance.now();
  const BATCH = 10_000;
  for (let i = 0; i < N; i += BATCH) {
    await site.store.tx(() => {
      for (let j = i; j < Math.min(N, i + BATCH); j++) {
        const tpl = templates[j % templates.length]!;
        const start = Math.floor(now - rnd() * span);
        const id = newId(start);
        const phone = customer(Math.floor(rnd() * CUSTOMERS));
        const row: RecordingRow = {
          ...tpl, id, start, durationMs: Math.floor(20_000 + rnd() * 600_000),
          direction: pick(['in', 'in', 'in', 'out', 'internal'] as const), queue: pick(QUEUES),
          consentState: rnd() < 0.002 ? 'denied' : rnd() < 0.9 ? 'granted' : 'unknown',
          sourceSha256: createHash('sha256').update(id).digest('hex'),
          tokens: [{ kind: 'phone', token: site.keys.tokenize('phone', phone) }, { kind: 'agent', token: site.keys.tokenize('agent', pick(AGENTS)) }],
        };
        site.store.recordings.put(row);
        site.store.keys.put(id, site.store.keys.get(tpl.id)!);
      }
    });
    if ((i + BATCH) % 100_000 === 0) say(`  index ${i + BATCH}/${N}`);
  }
  const buildSecs = (performance.now() - t0) / 1000;
  await addUser(site.store, site.log, 'cli:bench', { name: 'sup', roles: ['supervisor'], password: PASSWORD });
  const { token } = await createApiToken(site.store, site.log, 'cli:bench', 'sup', 'bench');
  // issue 11: the DPO's subject lookup (GET /api/subjects) over the same index
  await addUser(site.store, site.log, 'cli:bench', { name: 'dpo', roles: ['dpo'], password: PASSWORD });
  const { token: dpoToken } = await createApiToken(site.store, site.log, 'cli:bench', 'dpo', 'bench');
  await archive.close();
  await site.close();
  say(`built an index of ${N} recordings in ${buildSecs.toFixed(0)} s`);
  // A box that grew to 1M calls did so in small ingest commits; this bulk build leaves a
  // huge LMDB freelist instead, which would make every later commit slow (see compact.ts).
  const c = await compactIndex(config.dataDir);
  say(`compacted the index: ${c.beforePages} → ${c.afterPages} pages`);

  // 3. The real service on that data dir.
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
  const auth = { Authorization: `Bearer ${token}` };
  const timed = async (path: string, headers: Record<string, string> = auth, body = true): Promise<number> => {
    const t = performance.now();
    const res = await fetch(url + path, { headers });
    if (!body) {
      const reader = res.body!.getReader();
      await reader.read(); // first body bytes
      const first = performance.now() - t;
      await reader.cancel();
      if (res.status >= 300) throw new Error(`${path}: ${res.status}`);
      return first;
    }
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return performance.now() - t;
  };
  for (let i = 0; i < 20; i++) await timed('/healthz', {}); // warm-up

  const floor: number[] = [];
  for (let i = 0; i < 200; i++) floor.push(await timed('/healthz', {}));

  // 4. Search: a mix of what people look for (number, day, queue+direction, agent, the rare
  // consent filter, newest page, second page).
  const day = (d: number) => new Date(now - d * 86400_000).toISOString().slice(0, 10);
  const queries: [string, () => string][] = [
    ['number', () => `number=${encodeURIComponent(customer(Math.floor(rnd() * CUSTOMERS)))}`],
    ['day', () => { const d = day(1 + Math.floor(rnd() * 700)); return `from=${d}&to=${d}`; }],
    ['queue+direction', () => `queue=${pick(QUEUES)}&direction=out`],
    ['agent', () => `agent=${pick(AGENTS)}`],
    ['consent=denied', () => 'consent=denied'],
    ['newest', () => ''],
    ['min duration', () => 'minDuration=540'],
  ];
  const byKind: Record<string, number[]> = {};
  const all: number[] = [];
  for (let i = 0; i < 350; i++) {
    const [kind, q] = queries[i % queries.length]!;
    const d = await timed(`/api/recordings?${q()}`);
    (byKind[kind] ??= []).push(d);
    all.push(d);
  }

  // 5. Time to the first audio byte: a player's first request (Range: bytes=0-).
  const ids = templates.map((t) => t.id);
  const ttfb: number[] = [];
  for (let i = 0; i < 200; i++) ttfb.push(await timed(`/api/recordings/${pick(ids)}/audio`, { ...auth, Range: 'bytes=0-' }, false));

  const rssOf = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${child!.pid}/status`, 'utf8'))?.[1]) / 1024;
  const rssBeforeLogin = rssOf('VmHWM');

  // 6. Recording page throughput: a signed-in browser, 8 requests in flight for 10 s.
  const loginPage = await fetch(`${url}/login`);
  const pre = loginPage.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1]!;
  const login = await fetch(`${url}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { Origin: url, Cookie: pre, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, name: 'sup', password: PASSWORD }).toString(),
  });
  const cookie = [pre, ...login.headers.getSetCookie().map((c) => c.split(';')[0]!)].join('; ');
  let pages = 0;
  const pageLat: number[] = [];
  const until = performance.now() + 10_000;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (performance.now() < until) {
      pageLat.push(await timed(`/recordings/${pick(ids)}`, { Cookie: cookie }));
      pages++;
    }
  }));
  const rps = pages / 10;
  // subject lookup: every place a number appears (recordings, quarantine, holds, requests); each is a logged access
  const lookups: number[] = [];
  for (let i = 0; i < 100; i++) lookups.push(await timed(`/api/subjects?number=${encodeURIComponent(customer(Math.floor(rnd() * CUSTOMERS)))}`, { Authorization: `Bearer ${dpoToken}` }));
  const rssMiB = rssOf('VmHWM');
  const rssNow = rssOf('VmRSS');

  const f50 = pct(floor, 50);
  const lines = [
    `console bench: ${N.toLocaleString('en')} recordings in the index, real service on loopback`,
    `  baseline GET /healthz        p50 ${ms(f50)}  p95 ${ms(pct(floor, 95))}`,
    `  search (all kinds, n=${all.length})    p50 ${ms(pct(all, 50))}  p95 ${ms(pct(all, 95))}  (goal p95 ≤ 50 ms)  p95/healthz ${(pct(all, 95) / f50).toFixed(1)}×`,
    ...Object.entries(byKind).map(([k, xs]) => `    ${k.padEnd(18)} p50 ${ms(pct(xs, 50))}  p95 ${ms(pct(xs, 95))}`),
    `  first audio byte (Range 0-)  p50 ${ms(pct(ttfb, 50))}  p95 ${ms(pct(ttfb, 95))}  (goal p95 ≤ 30 ms)  p95/healthz ${(pct(ttfb, 95) / f50).toFixed(1)}×`,
    `  recording page, 8 in flight  ${rps.toFixed(0)} req/s  p95 ${ms(pct(pageLat, 95))}`,
    `  subject lookup (n=${lookups.length})     p50 ${ms(pct(lookups, 50))}  p95 ${ms(pct(lookups, 95))}  (goal p95 ≤ 50 ms)  p95/healthz ${(pct(lookups, 95) / f50).toFixed(1)}×`,
    `  service RSS                  peak ${rssMiB.toFixed(0)} MiB (goal ≤ 300 MB), peak before the first login ${rssBeforeLogin.toFixed(0)} MiB, now ${rssNow.toFixed(0)} MiB`,
    `                               of which now: own memory (RssAnon) ${rssOf('RssAnon').toFixed(0)} MiB, LMDB file pages in the page cache (RssFile) ${rssOf('RssFile').toFixed(0)} MiB`,
    `                               (a login's scrypt, N=2^17 r=8, needs 128 MiB while it runs)`,
    `  index build                  ${(N / buildSecs).toFixed(0)} recordings/s`,
  ];
  console.log(lines.join('\n'));
} finally {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
}
