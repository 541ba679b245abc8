// Benchmarks the access log: durable batched appends, proof generation at size N,
// checkpoint signing, export, and the exported verify.mjs.
// Usage: tsx scripts/bench-audit.ts [--size N (default 1000000)] [--batch B (default 1000)]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAuditLog, exportAudit } from '../src/audit/index.ts';
import { formatCheckpoint } from '../src/audit/checkpoint.ts';
import { createNoteSigner } from '../src/crypto/signing.ts';
import { openIndex } from '../src/store/index.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('size', 1_000_000);
const BATCH = arg('batch', 1000);
const progress = (s: string) => process.stderr.write(`${s}\n`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const dir = mkdtempSync(join(tmpdir(), 'tresor-bench-audit-'));
const rows: [string, string, string][] = [];
try {
  const store = openIndex(join(dir, 'data'));
  const signer = createNoteSigner('bench.tresor/log', new Uint8Array(32).fill(1));
  const log = createAuditLog(store, { signer, origin: signer.name });

  // 1. Appends: durable transactions of BATCH entries (each resolves after fsync).
  let t = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const n = Math.min(BATCH, N - i);
    await log.append(Array.from({ length: n }, (_, j) => ({
      actor: 'system:ingest', action: 'recording.ingested', target: `01HZX${(i + j).toString(36).padStart(21, '0')}`,
      detail: { sha256: 'ab'.repeat(32), bytes: 123456 + j, format: 'opus' },
    })));
    if ((i + n) % 100_000 === 0) progress(`appended ${i + n}/${N}`);
  }
  const appendSecs = (performance.now() - t) / 1000;
  rows.push([`append (durable, batches of ${BATCH})`, `${Math.round(N / appendSecs).toLocaleString('en')} entries/s`, '≥ 20,000 entries/s']);

  // 2. Proofs at size N.
  const inc: number[] = [];
  const con: number[] = [];
  for (let k = 0; k < 2000; k++) {
    const idx = Math.floor(Math.random() * N);
    t = performance.now();
    log.inclusionProof(idx, N);
    inc.push(performance.now() - t);
    const from = 1 + Math.floor(Math.random() * (N - 1));
    t = performance.now();
    log.consistencyProof(from, N);
    con.push(performance.now() - t);
  }
  rows.push([`inclusion proof at ${N.toLocaleString('en')} (p50 / p99)`, `${pct(inc, 50).toFixed(3)} / ${pct(inc, 99).toFixed(3)} ms`, 'p99 ≤ 5 ms']);
  rows.push([`consistency proof at ${N.toLocaleString('en')} (p50 / p99)`, `${pct(con, 50).toFixed(3)} / ${pct(con, 99).toFixed(3)} ms`, 'p99 ≤ 5 ms']);
  t = performance.now();
  for (let k = 0; k < 1000; k++) log.rootHash(N - k);
  rows.push(['root hash', `${((performance.now() - t) / 1000).toFixed(3)} ms each`, '—']);

  // 3. Checkpoint signing: the Ed25519 note alone, and durable checkpointNow.
  const root = log.rootHash();
  t = performance.now();
  const SIGNS = 300;
  for (let k = 0; k < SIGNS; k++) signer.sign(formatCheckpoint({ origin: signer.name, size: N + k, root }));
  rows.push(['checkpoint signing (tweetnacl Ed25519)', `${Math.round(SIGNS / ((performance.now() - t) / 1000))} notes/s`, '—']);
  t = performance.now();
  const DURABLE = 20;
  for (let k = 0; k < DURABLE; k++) {
    await log.append([{ actor: 'system:bench', action: 'bench.tick', target: '', detail: {} }]);
    await log.checkpointNow();
  }
  rows.push(['append 1 + checkpointNow (durable)', `${((performance.now() - t) / DURABLE).toFixed(1)} ms each`, '—']);

  // 4. Export and the exported verifier.
  const out = join(dir, 'export');
  t = performance.now();
  const s = await exportAudit(log, out);
  const exportSecs = (performance.now() - t) / 1000;
  rows.push(['export', `${Math.round(s.size / exportSecs).toLocaleString('en')} entries/s`, '—']);
  progress('running verify.mjs…');
  t = performance.now();
  const r = spawnSync(process.execPath, [join(out, 'verify.mjs')], { encoding: 'utf8' });
  const verifySecs = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`verify.mjs failed:\n${r.stdout}${r.stderr}`);
  rows.push(['verify.mjs (whole process)', `${Math.round(s.size / verifySecs).toLocaleString('en')} entries/s`, '≥ 300,000 entries/s']);

  progress('running verifyAll…');
  t = performance.now();
  const rep = await log.verifyAll();
  if (!rep.ok) throw new Error(rep.problems.join('\n'));
  rows.push(['verifyAll (LMDB, tree nodes too)', `${Math.round(rep.size / ((performance.now() - t) / 1000)).toLocaleString('en')} entries/s`, '—']);
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['measure', 'result', 'goal'][i]!.length));
const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join('  ');
console.log(`audit log benchmark, ${N.toLocaleString('en')} entries, node ${process.version}`);
console.log(line(['measure', 'result', 'goal']));
console.log(w.map((n) => '-'.repeat(n)).join('  '));
for (const r of rows) console.log(line(r));
