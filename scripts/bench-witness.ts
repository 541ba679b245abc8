// Witness round-trip per checkpoint (issue 13 "Measure"): signing a checkpoint alone
// against signing it and having a real witness process (`tresor witness serve`, another
// process on loopback) check the consistency proof and cosign it. Goal: ≤ 3× signing alone.
// Each round appends a few entries first, so every checkpoint is new and the witness
// verifies a real consistency proof from the size it cosigned last.
//
// Usage: tsx scripts/bench-witness.ts [--rounds 50] [--entries 10000]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultConfig, type Config } from '../src/config/index.ts';
import { openSite } from '../src/site/open.ts';
import { createWitnessClient } from '../src/audit/index.ts';

const ROOT = resolve(import.meta.dirname, '..');
const TRESOR = join(ROOT, 'scripts/tresor');
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROUNDS = arg('rounds', 50);
const ENTRIES = arg('entries', 10_000);
const say = (s: string) => process.stderr.write(`bench-witness: ${s}\n`);

const dir = mkdtempSync(join(tmpdir(), 'tresor-bench-witness-'));
const config: Config = { ...defaultConfig(), dataDir: join(dir, 'data'), inbox: join(dir, 'inbox'), port: 0 };
const port = await new Promise<number>((r) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => r(p));
  });
});
const keyFile = join(dir, 'witness.key');
const vkey = spawnSync(TRESOR, ['witness', 'vkey', '--key', keyFile, '--name', 'bench.witness/1'], { encoding: 'utf8', env: { ...process.env, TRESOR_CONFIG: '' } }).stdout.trim();
if (!vkey) throw new Error('tresor witness vkey printed nothing');
const site = openSite(config, { create: true });
const log = site.log;
const child = spawn(TRESOR, ['witness', 'serve', '--key', keyFile, '--state', join(dir, 'state'), '--port', String(port), '--log-vkey', log.vkey], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TRESOR_CONFIG: '' } });
try {
  for (let i = 0; i < ENTRIES; i += 1000) {
    await log.append(Array.from({ length: Math.min(1000, ENTRIES - i) }, (_, j) => ({ actor: 'system:bench', action: 'recording.archived', target: `recording:${i + j}`, detail: {} })));
  }
  const client = createWitnessClient({ log, witnesses: [{ url: `http://127.0.0.1:${port}`, vkey }], timeoutMs: 10_000, backoffMs: 100 });
  // the witness is up once it cosigns the first checkpoint
  const up = Date.now() + 30_000;
  await log.checkpointNow();
  while (client.status()[0]!.cosignedSize !== log.latestCheckpoint()!.size) {
    if (Date.now() > up) throw new Error(`witness did not cosign: ${JSON.stringify(client.status()[0])}`);
    await new Promise((r) => setTimeout(r, 200));
    await client.syncNow();
  }
  const sign: number[] = [];
  const trip: number[] = [];
  for (let k = 0; k < ROUNDS; k++) {
    await log.append(Array.from({ length: 5 }, (_, j) => ({ actor: 'system:bench', action: 'recording.viewed', target: `recording:${k}-${j}`, detail: {} })));
    const t0 = performance.now();
    await log.checkpointNow();
    const t1 = performance.now();
    await client.syncNow();
    const t2 = performance.now();
    if (client.status()[0]!.cosignedSize !== log.latestCheckpoint()!.size) throw new Error(`round ${k}: not cosigned: ${JSON.stringify(client.status()[0])}`);
    sign.push(t1 - t0);
    trip.push(t2 - t0);
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const s = median(sign);
  const t = median(trip);
  process.stdout.write(`witness round-trip over ${ROUNDS} checkpoints of a ${log.size().toLocaleString('en')}-entry log, witness in its own process on loopback:\n`);
  process.stdout.write(`  signing alone ${s.toFixed(2)} ms, signing + witness cosignature ${t.toFixed(2)} ms (median): ratio ${(t / s).toFixed(2)}x (goal ≤ 3x)\n`);
  await client.stop();
} finally {
  child.kill('SIGTERM');
  await site.close();
  rmSync(dir, { recursive: true, force: true });
}
