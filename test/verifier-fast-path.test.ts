import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createCompactRange } from '../src/audit/compact-range.ts';
import { formatCheckpoint } from '../src/audit/checkpoint.ts';
import { formatEntry, GENESIS_PREV } from '../src/audit/entry.ts';
import { hashLeaf, sha256, toHex } from '../src/audit/hasher.ts';
import { createNoteSigner, verifyEd25519 } from '../src/crypto/signing.ts';

// verify.mjs judges entries on their line bytes (tresorFastLine) and only parses a line
// when that cannot say; the fast path must never accept what JSON.parse + canonical
// re-stringify refuses, and must report exactly what the reference path reports. This
// runs both over many lines, valid and mutated byte by byte, and compares the reports.

type Bytes = Uint8Array;
const core = readFileSync(new URL('../src/audit/verifier/core.js', import.meta.url), 'utf8');
const { tresorVerify, tresorScanSegment } = new Function(`${core}\nreturn { tresorVerify, tresorScanSegment };`)() as {
  tresorVerify: (files: Record<string, Bytes>, env: object, yours: object) => Promise<{ verdict: string; checks: unknown[] }>;
  tresorScanSegment: (bytes: Bytes, seg: object, h: (b: Bytes) => Bytes | string) => object;
};
const h = (b: Bytes) => new Uint8Array(createHash('sha256').update(b).digest());
const slowEnv = { sha256Many: (l: Bytes[]) => l.map(h), ed25519: (p: Bytes, m: Bytes, s: Bytes) => verifyEd25519(p, m, s) };
const fastEnv = { ...slowEnv, isUtf8: (b: Bytes) => isUtf8(b), parallelism: 2, scanSegments: async (b: Bytes, segs: object[]) => segs.map((s) => tresorScanSegment(b, s, h)) };
// verify.mjs's workers take digests as latin1 strings (crypto.hash's cheapest output)
const latin1 = (b: Bytes) => createHash('sha256').update(b).digest().toString('latin1');
const latin1Env = { ...fastEnv, scanSegments: async (b: Bytes, segs: object[]) => segs.map((s) => tresorScanSegment(b, s, latin1)) };
const signer = createNoteSigner('fast.test/log', new Uint8Array(32).fill(4));

const details: Record<string, unknown>[] = [
  {}, { a: 1 }, { sha256: 'ab'.repeat(32), bytes: 123, format: 'opus' }, { s: 'é ü 🎧 \u2028' }, { s: 'quote " backslash \\ tab \t nl \n ctl \u0001 del \u007f' },
  { n: -1.5e-7 }, { n: 1e21 }, { n: 0 }, { arr: [1, 'x', null, true, false, { k: [] }] }, { nested: { deep: { er: {} } } }, { '1': 'index key', b: 2 },
  { __proto__x: 1 }, { 'key with space': 'v', 'ключ': 'v' },
];

function exportOf(lines: string[]): Record<string, Bytes> {
  const range = createCompactRange();
  for (const l of lines) range.append(hashLeaf(Buffer.from(l, 'utf8')));
  return {
    'entries.jsonl': new Uint8Array(Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8')),
    checkpoint: new Uint8Array(Buffer.from(signer.sign(formatCheckpoint({ origin: signer.name, size: lines.length, root: range.root() })))),
    'log.vkey': new Uint8Array(Buffer.from(`${signer.vkey}\n`)),
  };
}

function validLines(n: number): string[] {
  const out: string[] = [];
  let prev = GENESIS_PREV;
  for (let seq = 0; seq < n; seq++) {
    const line = formatEntry({
      seq, time: new Date(Date.UTC(2026, seq % 12, 1 + (seq % 31), seq % 24, seq % 60, seq % 60, seq % 1000)).toISOString(),
      actor: seq % 3 ? 'system:ingest' : 'user:ä', action: seq % 5 ? 'recording.ingested' : 'a-b_c.d9', target: seq % 4 ? `rec-${seq}` : '', detail: details[seq % details.length]!, prev,
    });
    prev = toHex(sha256(Buffer.from(line, 'utf8')));
    out.push(line);
  }
  return out;
}

const same = async (lines: string[]) => {
  const files = exportOf(lines);
  const slow = await tresorVerify(files, slowEnv, {});
  const fast = await tresorVerify(files, fastEnv, {});
  assert.deepEqual(fast, slow, `fast and slow paths disagree on:\n${lines.join('\n').slice(0, 3000)}`);
  assert.deepEqual(await tresorVerify(files, latin1Env, {}), slow, `fast path with latin1 digests disagrees on:\n${lines.join('\n').slice(0, 3000)}`);
  return slow;
};

describe('verify.mjs fast path judges entries as the reference path does', () => {
  it('valid entries of every shape are verified by both', async () => {
    const r = await same(validLines(200));
    assert.equal(r.verdict, 'verified', JSON.stringify(r.checks));
  });

  it('every single-byte change of a line, and characters put in or taken out, get the same report', async () => {
    const base = validLines(40);
    const swaps = ['"', '\\', ' ', '0', '9', 'a', 'Z', '.', ',', '{', '}', '[', ']', ':', '-', 'e', '+', '\u0001', 'é'];
    let cases = 0;
    for (let i = 0; i < base.length; i += 5) {
      const line = base[i]!;
      for (let k = 0; k < line.length; k += 3 + (k % 5)) {
        const variants = [line.slice(0, k) + line.slice(k + 1), line.slice(0, k) + swaps[(k + i) % swaps.length] + line.slice(k + 1), line.slice(0, k) + swaps[(k * 7 + i) % swaps.length] + line.slice(k)];
        for (const v of variants) {
          if (v.includes('\n')) continue;
          const lines = base.slice(0, 12);
          lines[i % 12] = v;
          await same(lines);
          cases++;
        }
      }
    }
    assert.ok(cases > 300, `${cases} cases`);
  });

  it('hand-made non-canonical lines are refused by both', async () => {
    const [l0] = validLines(1);
    const tweak = (from: string, to: string) => l0!.replace(from, to);
    const variants = [
      tweak('"detail":{', '"detail":{"a":1,"a":2,'), tweak('"detail":{', '"detail":{"b":1,"1":2,'), tweak('"seq":0', '"seq":-0'), tweak('"seq":0', '"seq":0.0'),
      tweak('"seq":0', '"seq":00'), tweak('"detail":{', '"detail":{"x":1.0,'), tweak('"detail":{', '"detail":{"x":"\\u0041",'), tweak('"detail":{', '"detail":{"x":"\\/",'),
      tweak('"detail":{', '"detail":{"x":"\\u000a",'), tweak('"detail":{', '"detail":{"x":1E5,'), tweak('"detail":{', '"detail":{ "x":1,'),
      tweak('2026-01-01', '2026-13-01'), tweak('"detail":{', '"detail":{"x":"\\ud800",'),
    ];
    for (const v of variants) {
      const r = await same([v!]);
      assert.equal(r.verdict, 'failed', v);
    }
    // Date.parse rolls 30 February over; both paths take it as the reference does
    await same([tweak('2026-01-01', '2026-02-30')]);
  });
});
