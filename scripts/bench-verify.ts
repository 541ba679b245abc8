// verify.mjs on a large export, whole process (issue 13 measure: ≥ 300,000 entries/s on
// 1M entries), against a baseline measured in the same run: by default this version's
// verify.mjs with its fast path switched off (the reference path, which is what every
// verify.mjs before issue 13 ran), or with --baseline-rev REV the verify.mjs of that git
// revision. Runs alternate so a busy machine does not favour either side.
// Usage: tsx scripts/bench-verify.ts [--size 1000000] [--rounds 3] [--baseline-rev REV]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { formatCheckpoint } from '../src/audit/checkpoint.ts';
import { createCompactRange } from '../src/audit/compact-range.ts';
import { formatEntry, GENESIS_PREV } from '../src/audit/entry.ts';
import { hashLeaf, sha256, toHex } from '../src/audit/hasher.ts';
import { verifierFiles } from '../src/audit/verifier/build.ts';
import { createNoteSigner } from '../src/crypto/signing.ts';

const ROOT = resolve(import.meta.dirname, '..');

/** An export of N entries shaped like ingest entries, built without LMDB (fast to make). */
export function makeExport(dir: string, n: number): void {
  mkdirSync(dir, { recursive: true });
  const signer = createNoteSigner('bench.tresor/verify', new Uint8Array(32).fill(1));
  const range = createCompactRange();
  const fd = openSync(join(dir, 'entries.jsonl'), 'w');
  let prev = GENESIS_PREV;
  let buf: string[] = [];
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  for (let seq = 0; seq < n; seq++) {
    const line = formatEntry({
      seq, time: new Date(t0 + seq * 37).toISOString(), actor: seq % 7 ? 'system:ingest' : 'user:aud-7f3a',
      action: seq % 7 ? 'recording.ingested' : 'recording.played', target: `01HZX${seq.toString(36).padStart(21, '0')}`,
      detail: seq % 7 ? { sha256: 'ab'.repeat(32), bytes: 123456 + seq, format: 'opus' } : { range: 'bytes=0-', via: 'console' }, prev,
    });
    const bytes = Buffer.from(line, 'utf8');
    range.append(hashLeaf(bytes));
    prev = toHex(sha256(bytes));
    buf.push(line);
    if (buf.length === 10_000) {
      writeSync(fd, buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length) writeSync(fd, buf.join('\n') + '\n');
  closeSync(fd);
  writeFileSync(join(dir, 'checkpoint'), signer.sign(formatCheckpoint({ origin: signer.name, size: n, root: range.root() })));
  writeFileSync(join(dir, 'log.vkey'), `${signer.vkey}\n`);
}

function baselineVerifier(rev: string | undefined): string | null {
  if (rev === undefined) {
    const off = verifierFiles()['verify.mjs'].replace('  scanSegments: async (bytes, segments) => {', '  scanSegmentsOff: async (bytes, segments) => {');
    return off === verifierFiles()['verify.mjs'] ? null : off;
  }
  const show = (p: string) => spawnSync('git', ['-C', ROOT, 'show', `${rev}:${p}`], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const main = show('src/audit/verifier/node-main.js');
  const core = show('src/audit/verifier/core.js');
  if (main.status !== 0 || core.status !== 0) return null;
  return main.stdout.replace('/*@@CORE@@*/', () => core.stdout.replace("'use strict';\n", ''));
}

function timeRun(script: string, dir: string): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const secs = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}):\n${r.stdout.slice(0, 2000)}${r.stderr.slice(0, 2000)}`);
  return secs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: opt } = parseArgs({
    options: { size: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '3' }, 'baseline-rev': { type: 'string' } },
  });
  const N = Number(opt.size);
  const ROUNDS = Number(opt.rounds);
  const dir = mkdtempSync(join(tmpdir(), 'tresor-bench-verify-'));
  try {
    const exp = join(dir, 'export');
    process.stderr.write(`building a ${N.toLocaleString('en')}-entry export…\n`);
    makeExport(exp, N);
    const current = join(dir, 'verify.mjs');
    writeFileSync(current, verifierFiles()['verify.mjs']);
    const base = baselineVerifier(opt['baseline-rev']);
    const baseFile = join(dir, 'verify-baseline.mjs');
    if (base) writeFileSync(baseFile, base);
    const cur: number[] = [];
    const old: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (base) old.push(timeRun(baseFile, exp));
      cur.push(timeRun(current, exp));
      process.stderr.write(`round ${r + 1}/${ROUNDS}: current ${cur.at(-1)!.toFixed(2)} s${base ? `, baseline ${old.at(-1)!.toFixed(2)} s` : ''}\n`);
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rate = (s: number) => `${Math.round(N / s).toLocaleString('en')} entries/s`;
    console.log(`verify.mjs, ${N.toLocaleString('en')} entries, node ${process.version}, median of ${ROUNDS}`);
    console.log(`current   ${med(cur).toFixed(2)} s  ${rate(med(cur))}  (goal ≥ 300,000 entries/s)`);
    if (base) {
      console.log(`baseline  ${med(old).toFixed(2)} s  ${rate(med(old))}  (${opt['baseline-rev'] ? `verify.mjs at ${opt['baseline-rev']}` : 'the reference path: this verify.mjs without its fast path'})`);
      console.log(`ratio     ${(med(old) / med(cur)).toFixed(2)}× faster than the baseline`);
    } else console.log('baseline  not available');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
