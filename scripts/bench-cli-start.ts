// Benchmarks the CLI's start-up (issue 15, item 1: every command took 2–3.6 s because tsx
// transpiled the TypeScript at each start). Measured: wall time of `tresor --help` and
// `tresor status` (a fresh archive, made by `tresor init` first) through scripts/tresor,
// which runs the compile cache's bundle (scripts/launch.mjs), and the same through tsx
// (TRESOR_NO_BUNDLE=1, how it ran before). Baseline in the same run: `node -e 0`. Rounds
// alternate the variants so a busy machine does not favour one. Goal: status ≤ 0.5 s.
//
// Usage: tsx scripts/bench-cli-start.ts [--rounds 9]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = resolve(import.meta.dirname, '..');
const TRESOR = join(ROOT, 'scripts/tresor');
const i = process.argv.indexOf('--rounds');
const ROUNDS = i > 0 ? Number(process.argv[i + 1]) : 9;
const dir = mkdtempSync(join(tmpdir(), 'tresor-bench-cli-'));
mkdirSync(join(dir, 'inbox'));
const { TRESOR_CONFIG: _ignored, ...outer } = process.env; // the archive here, not one a settings file names
const env: NodeJS.ProcessEnv = { ...outer, TRESOR_DATA_DIR: join(dir, 'data'), TRESOR_INBOX: join(dir, 'inbox') };

function run(cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return ms;
}

try {
  run(TRESOR, ['init']); // also builds the compile cache if the sources changed
  const variants: [string, () => number][] = [
    ['node -e 0 (baseline)', () => run(process.execPath, ['-e', '0'])],
    ['tresor --help', () => run(TRESOR, ['--help'])],
    ['tresor status', () => run(TRESOR, ['status'])],
    ['tresor status via tsx (before)', () => run(TRESOR, ['status'], { TRESOR_NO_BUNDLE: '1' })],
  ];
  const times = new Map<string, number[]>(variants.map(([n]) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [n, f] of r % 2 ? [...variants].reverse() : variants) times.get(n)!.push(f());
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(times.get('node -e 0 (baseline)')!);
  const lines = [`CLI start-up bench: median of ${ROUNDS} runs each, alternating, wall time of the whole process`];
  for (const [n] of variants) {
    const m = median(times.get(n)!);
    lines.push(`  ${n.padEnd(32)} ${m.toFixed(0).padStart(5)} ms  = ${(m / base).toFixed(2)}× node -e 0` + (n === 'tresor status' ? `  (goal ≤ 500 ms: ${m <= 500 ? 'met' : 'NOT met'})` : ''));
  }
  console.log(lines.join('\n'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
