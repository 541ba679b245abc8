import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAuditLog, exportAudit, type AuditLog, type SignedCheckpoint } from '../src/audit/index.ts';
import { formatCheckpoint, parseCheckpoint } from '../src/audit/checkpoint.ts';
import { hashLeaf, sha256, toHex } from '../src/audit/hasher.ts';
import { createCompactRange } from '../src/audit/compact-range.ts';
import { rootAt } from '../src/audit/tree-math.ts';
import { isTresorError } from '../src/core/index.ts';
import { createNoteSigner } from '../src/crypto/signing.ts';
import { openIndex, type IndexStore } from '../src/store/index.ts';
import { memoryTree } from './fixtures/audit-helpers.ts';
import { leafHash, verifyConsistency, verifyInclusion } from './fixtures/rfc9162-verify.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tresor-export-'));
  dirs.push(d);
  return d;
};
const signer = createNoteSigner('test.tresor/export', new Uint8Array(32).fill(5));
let store: IndexStore;
let log: AuditLog;
let cp30: SignedCheckpoint;
let full: string; // export of everything
let since: string; // export --since cp30 --from 20

function verifyDir(dir: string, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(dir, 'verify.mjs'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}
/** What an attacker on the box can do without the key: drop entries [0, n) and put the frontier of them in their place. */
function hollowed(src: string, n: number): string {
  return tampered(src, (d) => {
    const lines = readLines(d);
    const range = createCompactRange();
    for (const l of lines.slice(0, n)) range.append(hashLeaf(Buffer.from(l)));
    writeLines(d, lines.slice(n));
    put(d, 'frontier.json', `${JSON.stringify({ start: n, hashes: range.frontier().map(toHex) })}\n`);
  });
}
const firstLine = (out: string) => out.split('\n')[0]!;
function tampered(src: string, edit: (dir: string) => void): string {
  const d = tempDir();
  cpSync(src, d, { recursive: true });
  edit(d);
  return d;
}
const readLines = (dir: string) => readFileSync(join(dir, 'entries.jsonl'), 'utf8').split('\n').slice(0, -1);
const writeLines = (dir: string, lines: string[]) => writeFileSync(join(dir, 'entries.jsonl'), lines.map((l) => l + '\n').join(''));
const put = (dir: string, name: string, text: string) => writeFileSync(join(dir, name), text);

function assertRejected(dir: string, ...patterns: RegExp[]): void {
  const { code, out } = verifyDir(dir);
  assert.equal(code, 1, out);
  assert.match(out, /NOT VERIFIED/);
  for (const p of patterns) assert.match(out, p, out);
}

before(async () => {
  store = openIndex(tempDir());
  log = createAuditLog(store, { signer, origin: signer.name });
  for (let i = 0; i < 30; i++) {
    await log.append([{ actor: i % 2 ? 'user:u1' : 'system:ingest', action: 'recording.ingested', target: `R${i}`, detail: { bytes: i * 1000, note: 'ünïcödé ✓' } }]);
  }
  cp30 = await log.checkpointNow();
  await log.append(Array.from({ length: 20 }, (_, i) => ({ actor: 'token:t1', action: 'recording.played', target: `R${i}`, detail: {} })));
  full = tempDir();
  await exportAudit(log, full);
  since = tempDir();
  await exportAudit(log, since, { since: cp30.note, from: 20 });
});
after(async () => {
  await store.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('good exports', () => {
  it('full_export_passes_verify_mjs', () => {
    const { code, out } = verifyDir(full);
    assert.equal(code, 0, out);
    assert.match(out, /VERIFIED: every check passed/);
    assert.doesNotMatch(out, /FAIL/);
  });

  it('since_and_from_export_passes_with_your_checkpoint_and_checks_consistency', () => {
    // without your own checkpoint, entries 0…19 are only a frontier: partial, exit 3
    const alone = verifyDir(since);
    assert.equal(alone.code, 3, alone.out);
    assert.match(firstLine(alone.out), /^PARTIAL: this export covers entries 20…49 only; entries 0…19 were not checked/);
    const mine = join(tempDir(), 'checkpoint');
    writeFileSync(mine, cp30.note);
    const { code, out } = verifyDir(since, '--checkpoint', mine);
    assert.equal(code, 0, out);
    assert.match(out, /ok {4}your checkpoint: size 30 is a prefix/);
    assert.match(out, /ok {4}consistency: 30 → 50/);
    assert.match(out, /ok {4}frontier: entries before 20/);
    const c = JSON.parse(readFileSync(join(since, 'consistency.json'), 'utf8'));
    assert.deepEqual(Object.keys(c), ['old_size', 'new_size', 'hashes']);
  });

  it('an_independent_rfc6962_tree_over_entries_gives_the_signed_root', () => {
    const cp = parseCheckpoint(readFileSync(join(full, 'checkpoint'), 'utf8').split('\n\n')[0] + '\n');
    const tree = memoryTree(readLines(full).map((l) => Buffer.from(l)));
    assert.equal(toHex(rootAt(tree, tree.size)), toHex(cp.root));
    assert.equal(cp.size, 50);
  });

  it('an_rfc9162_verifier_written_from_the_rfc_accepts_the_exported_consistency_proof_and_our_inclusion_proofs', () => {
    const root = (note: string) => parseCheckpoint(note.split('\n\n')[0] + '\n').root;
    const c = JSON.parse(readFileSync(join(since, 'consistency.json'), 'utf8')) as { old_size: number; new_size: number; hashes: string[] };
    const oldRoot = root(readFileSync(join(since, 'previous-checkpoint'), 'utf8'));
    const newRoot = root(readFileSync(join(since, 'checkpoint'), 'utf8'));
    const proof = c.hashes.map((h) => Buffer.from(h, 'hex'));
    assert.equal(verifyConsistency(BigInt(c.old_size), BigInt(c.new_size), oldRoot, newRoot, proof), true);
    // and it is not a verifier that says yes to everything
    assert.equal(verifyConsistency(BigInt(c.old_size), BigInt(c.new_size), newRoot, newRoot, proof), false);
    assert.equal(verifyConsistency(BigInt(c.old_size) + 1n, BigInt(c.new_size), oldRoot, newRoot, proof), false);
    // every consistency and inclusion proof the log serves, for every pair of sizes up to 50
    const lines = readLines(full);
    for (let n = 1; n <= 50; n++) {
      for (let m = 1; m <= n; m++) {
        assert.equal(verifyConsistency(BigInt(m), BigInt(n), log.rootHash(m), log.rootHash(n), log.consistencyProof(m, n)), true, `consistency ${m} → ${n}`);
      }
      for (let i = 0; i < n; i++) {
        assert.equal(verifyInclusion(BigInt(i), BigInt(n), leafHash(Buffer.from(lines[i]!)), log.inclusionProof(i, n), log.rootHash(n)), true, `inclusion ${i} in ${n}`);
      }
    }
    assert.equal(verifyInclusion(3n, 50n, leafHash(Buffer.from(lines[4]!)), log.inclusionProof(3, 50), log.rootHash(50)), false);
  });

  it('verify_mjs_defaults_to_its_own_folder_and_accepts_a_dir_argument', () => {
    const r = spawnSync(process.execPath, [join(full, 'verify.mjs'), full], { encoding: 'utf8', cwd: tmpdir() });
    assert.equal(r.status, 0, r.stdout);
  });

  it('readme_names_the_key_fingerprint_and_the_since_workflow', () => {
    const readme = readFileSync(join(full, 'README.txt'), 'utf8');
    const fp = toHex(sha256(signer.vkey)).slice(0, 32).match(/..../g)!.join(' ');
    assert.ok(readme.includes(fp));
    assert.ok(readme.includes('--since checkpoint'));
    assert.match(verifyDir(full).out, new RegExp(fp));
  });
});

describe('tampered exports are rejected with the failure named', () => {
  it('edited_entry_one_byte', () => {
    const d = tampered(full, (d) => writeLines(d, readLines(d).map((l, i) => (i === 10 ? l.replace('"R10"', '"R11"') : l))));
    assertRejected(d, /FAIL {2}tree root/, /FAIL {2}chain: seq 11: prev does not match/);
  });

  it('edited_entry_whitespace_only', () => {
    const d = tampered(full, (d) => writeLines(d, readLines(d).map((l, i) => (i === 5 ? l.replace(',"time"', ', "time"') : l))));
    assertRejected(d, /FAIL {2}line format: line 6 \(seq 5\): not in canonical form/, /FAIL {2}tree root/, /FAIL {2}chain: seq 6/);
  });

  it('dropped_entry', () => {
    const d = tampered(full, (d) => writeLines(d, readLines(d).filter((_, i) => i !== 12)));
    assertRejected(d, /FAIL {2}seq: line 13 has seq 13, expected 12/, /FAIL {2}chain/, /FAIL {2}size: .*1 entries are missing/);
  });

  it('duplicated_entry', () => {
    const d = tampered(full, (d) => {
      const l = readLines(d);
      l.splice(12, 0, l[12]!);
      writeLines(d, l);
    });
    assertRejected(d, /FAIL {2}seq: line 14 has seq 12, expected 13/, /FAIL {2}size: 1 entries after seq 49 are not covered/);
  });

  it('reordered_entries', () => {
    const d = tampered(full, (d) => {
      const l = readLines(d);
      [l[3], l[4]] = [l[4]!, l[3]!];
      writeLines(d, l);
    });
    assertRejected(d, /FAIL {2}seq/, /FAIL {2}chain/, /FAIL {2}tree root/);
  });

  it('truncated_log', () => {
    const d = tampered(full, (d) => writeLines(d, readLines(d).slice(0, 45)));
    assertRejected(d, /FAIL {2}size: .*5 entries are missing \(truncated log\)/, /FAIL {2}tree root: cannot recompute/);
  });

  it('truncated_mid_line', () => {
    const d = tampered(full, (d) => {
      const b = readFileSync(join(d, 'entries.jsonl'));
      writeFileSync(join(d, 'entries.jsonl'), b.subarray(0, b.length - 20));
    });
    assertRejected(d, /does not end with a newline/, /FAIL {2}line format: line 50 \(seq 49\): not valid JSON/);
  });

  it('extra_unsigned_entry_appended', () => {
    const d = tampered(full, (d) => {
      const l = readLines(d);
      const last = JSON.parse(l[l.length - 1]!);
      l.push(JSON.stringify({ seq: 50, time: last.time, actor: 'user:mallory', action: 'recording.played', target: 'R1', detail: {}, prev: toHex(sha256(l[l.length - 1]!)) }));
      writeLines(d, l);
    });
    const { out } = verifyDir(d);
    assertRejected(d, /FAIL {2}size: 1 entries after seq 49 are not covered by the signed checkpoint/);
    assert.match(out, /ok {4}chain/); // well-formed and chained: only the signature coverage is missing
    assert.match(out, /ok {4}tree root/);
  });

  it('checkpoint_re_signed_with_another_key', () => {
    const other = createNoteSigner(signer.name, new Uint8Array(32).fill(6));
    const d = tampered(full, (d) => put(d, 'checkpoint', other.sign(readFileSync(join(d, 'checkpoint'), 'utf8').split('\n\n')[0] + '\n')));
    assertRejected(d, /FAIL {2}signature: checkpoint is not signed by the key in log\.vkey/);
  });

  it('checkpoint_with_its_signature_altered', () => {
    const d = tampered(full, (d) => put(d, 'checkpoint', readFileSync(join(d, 'checkpoint'), 'utf8').replace('\n50\n', '\n49\n')));
    assertRejected(d, /FAIL {2}signature: checkpoint: the signature by test\.tresor\/export does not verify/);
  });

  it('wrong_origin', () => {
    const cp = parseCheckpoint(readFileSync(join(full, 'checkpoint'), 'utf8').split('\n\n')[0] + '\n');
    // Signed by the right key: only the origin line gives it away.
    const d = tampered(full, (d) => put(d, 'checkpoint', signer.sign(formatCheckpoint({ ...cp, origin: 'other.site/log' }))));
    assertRejected(d, /FAIL {2}origin: checkpoint origin is "other\.site\/log" but the log key is "test\.tresor\/export"/);
  });

  it('rollback_to_an_older_checkpoint', () => {
    const newer = readFileSync(join(full, 'checkpoint'), 'utf8');
    const d = tampered(full, (d) => {
      writeLines(d, readLines(d).slice(0, 30));
      put(d, 'checkpoint', cp30.note);
      put(d, 'previous-checkpoint', newer);
    });
    assertRejected(d, /FAIL {2}rollback: this export is signed for 30 entries but your previous checkpoint already had 50/);
  });

  it('split_view_same_size_different_root', () => {
    const forged = signer.sign(formatCheckpoint({ origin: signer.name, size: 50, root: new Uint8Array(32).fill(7) }));
    const d = tampered(since, (d) => put(d, 'previous-checkpoint', forged));
    assertRejected(d, /FAIL {2}split view: two checkpoints for size 50 with different roots/);
  });

  it('split_view_older_checkpoint_with_another_history', () => {
    const forged = signer.sign(formatCheckpoint({ origin: signer.name, size: 30, root: new Uint8Array(32).fill(8) }));
    const d = tampered(since, (d) => put(d, 'previous-checkpoint', forged));
    assertRejected(d, /FAIL {2}split view: your previous checkpoint \(size 30\)/, /FAIL {2}consistency: .*not an extension/);
  });

  it('malformed_or_altered_consistency_proof', () => {
    const c = JSON.parse(readFileSync(join(since, 'consistency.json'), 'utf8'));
    const flip = (h: string) => (h[0] === '0' ? '1' : '0') + h.slice(1);
    const cases: [object, RegExp][] = [
      [{ ...c, hashes: [flip(c.hashes[0]), ...c.hashes.slice(1)] }, /FAIL {2}consistency: .*not an extension/],
      [{ ...c, hashes: c.hashes.slice(1) }, /FAIL {2}consistency: .*not an extension/],
      [{ ...c, hashes: [...c.hashes, c.hashes[0]] }, /FAIL {2}consistency: .*not an extension/],
      [{ ...c, hashes: ['zz', ...c.hashes] }, /FAIL {2}consistency: consistency\.json is malformed: hash #0 is not 64 hex digits/],
      [{ ...c, old_size: 29 }, /FAIL {2}consistency: consistency\.json is for sizes 29→50/],
    ];
    for (const [json, pattern] of cases) assertRejected(tampered(since, (d) => put(d, 'consistency.json', JSON.stringify(json))), pattern);
    assertRejected(tampered(since, (d) => put(d, 'consistency.json', '{not json')), /malformed: not valid JSON/);
    assertRejected(tampered(since, (d) => unlinkSync(join(d, 'consistency.json'))), /consistency\.json is missing/);
  });

  it('altered_frontier', () => {
    const f = JSON.parse(readFileSync(join(since, 'frontier.json'), 'utf8'));
    const d = tampered(since, (d) => put(d, 'frontier.json', JSON.stringify({ ...f, hashes: [f.hashes[1], f.hashes[0]] })));
    assertRejected(d, /FAIL {2}tree root/);
  });

  it('missing_files', () => {
    assertRejected(tampered(full, (d) => unlinkSync(join(d, 'log.vkey'))), /FAIL {2}files: log\.vkey is missing/);
    const d = tampered(full, (d) => unlinkSync(join(d, 'checkpoint')));
    assert.equal(verifyDir(d).code, 2);
  });
});

describe('hollowed exports: a frontier in place of entries is never a full verdict (issue 16 #7)', () => {
  // The attack: someone on the box deletes entries from the front of an export and adds a
  // frontier.json computed from the deleted lines. No key is needed, and the root still
  // matches the signed checkpoint, so the old verdict was "VERIFIED" for an export that
  // hid every access it chose to hide.
  it('dropping_every_entry_behind_a_frontier_is_reported_first_as_partial_not_verified', () => {
    const { code, out } = verifyDir(hollowed(full, 50));
    assert.equal(code, 3, out);
    assert.match(firstLine(out), /^PARTIAL: this export holds no entries; entries 0…49 were not checked/, out);
    assert.doesNotMatch(out, /^VERIFIED/m);
  });

  it('dropping_a_prefix_is_reported_first_as_partial_with_the_range_checked', () => {
    const { code, out } = verifyDir(hollowed(full, 17));
    assert.equal(code, 3, out);
    assert.match(firstLine(out), /^PARTIAL: this export covers entries 17…49 only; entries 0…16 were not checked/, out);
    assert.match(out.trimEnd().split('\n').at(-1)!, /^PARTIAL/, 'and the last line says it again');
    assert.doesNotMatch(out, /^VERIFIED/m);
  });

  it('a_prefix_dropped_up_to_your_own_checkpoint_verifies_with_that_checkpoint', () => {
    const mine = join(tempDir(), 'checkpoint');
    writeFileSync(mine, cp30.note);
    for (const n of [30, 20]) {
      const { code, out } = verifyDir(hollowed(full, n), '--checkpoint', mine);
      assert.equal(code, 0, out);
      assert.match(firstLine(out), new RegExp(`^VERIFIED: entries ${n}…49 checked; entries 0…${n - 1} are covered by your checkpoint \\(size 30\\)`), out);
      assert.match(out, /ok {4}your checkpoint: size 30 is a prefix of these entries/);
    }
  });

  it('your_checkpoint_is_refused_when_the_export_starts_after_it', () => {
    const mine = join(tempDir(), 'checkpoint');
    writeFileSync(mine, cp30.note);
    // entries 30…39 (the accesses since your last visit) are the ones hidden
    const { code, out } = verifyDir(hollowed(full, 40), '--checkpoint', mine);
    assert.equal(code, 1, out);
    assert.match(firstLine(out), /^NOT VERIFIED/, out);
    assert.match(out, /FAIL {2}your checkpoint: this export starts at entry 40 but your checkpoint has 30 entries: entries 30…39 are not in it/);
  });

  it('your_checkpoint_catches_a_rollback_and_another_history', () => {
    const mine = join(tempDir(), 'checkpoint');
    writeFileSync(mine, readFileSync(join(full, 'checkpoint')));
    const old = tampered(full, (d) => {
      writeLines(d, readLines(d).slice(0, 30));
      put(d, 'checkpoint', cp30.note);
    });
    assert.match(verifyDir(old, '--checkpoint', mine).out, /FAIL {2}your checkpoint: this export is signed for 30 entries but your checkpoint already had 50/);
    assert.equal(verifyDir(old, '--checkpoint', mine).code, 1);
    const forged = join(tempDir(), 'checkpoint');
    writeFileSync(forged, signer.sign(formatCheckpoint({ origin: signer.name, size: 30, root: new Uint8Array(32).fill(8) })));
    const r = verifyDir(full, '--checkpoint', forged);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /FAIL {2}your checkpoint: your checkpoint \(size 30\) has root .* but these entries give .* at that size/);
  });

  it('your_own_vkey_refuses_an_export_signed_with_another_key', () => {
    // Without your key, an attacker with a new key of the same name re-signs a rewritten
    // log; only the fingerprint compared by phone would tell. With --vkey it is refused.
    const other = createNoteSigner(signer.name, new Uint8Array(32).fill(6));
    const d = tampered(full, (d) => {
      put(d, 'log.vkey', `${other.vkey}\n`);
      put(d, 'checkpoint', other.sign(readFileSync(join(d, 'checkpoint'), 'utf8').split('\n\n')[0] + '\n'));
    });
    assert.equal(verifyDir(d).code, 0, 'the export alone is consistent in itself');
    const mine = join(tempDir(), 'log.vkey');
    writeFileSync(mine, `${signer.vkey}\n`);
    const { code, out } = verifyDir(d, '--vkey', mine);
    assert.equal(code, 1, out);
    assert.match(out, /FAIL {2}vkey: the export's log\.vkey is not your key/);
  });
});

describe('exportAudit refuses unsafe requests', () => {
  it('since_from_another_key_or_a_future_size_or_a_non_empty_folder', async () => {
    const other = createNoteSigner(signer.name, new Uint8Array(32).fill(9));
    await assert.rejects(exportAudit(log, tempDir(), { since: other.sign(formatCheckpoint({ origin: signer.name, size: 3, root: new Uint8Array(32) })) }), /not a checkpoint of this log/);
    const future = signer.sign(formatCheckpoint({ origin: signer.name, size: 500, root: new Uint8Array(32) }));
    await assert.rejects(exportAudit(log, tempDir(), { since: future }), (e) => isTresorError(e, 'E_LOG_INCONSISTENT'));
    const forked = signer.sign(formatCheckpoint({ origin: signer.name, size: 10, root: new Uint8Array(32) }));
    await assert.rejects(exportAudit(log, tempDir(), { since: forked }), /forked/);
    await assert.rejects(exportAudit(log, full), (e) => isTresorError(e, 'E_INVALID'));
    await assert.rejects(exportAudit(log, tempDir(), { from: 51 }), /--from/);
  });

  it('export_of_an_empty_log_verifies', async () => {
    const s = openIndex(tempDir());
    const empty = createAuditLog(s, { signer, origin: signer.name });
    const d = tempDir();
    await exportAudit(empty, d);
    assert.equal(verifyDir(d).code, 0, verifyDir(d).out);
    await s.close();
  });
});
