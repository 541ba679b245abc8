import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { createAuditLog, type AuditLog } from '../src/audit/index.ts';
import { formatCheckpoint } from '../src/audit/checkpoint.ts';
import { hashLeaf, sha256, toHex } from '../src/audit/hasher.ts';
import { rootAt } from '../src/audit/tree-math.ts';
import { consistencyProblem, inclusionProblem } from '../src/audit/tree-verify.ts';
import { isTresorError } from '../src/core/index.ts';
import { createNoteSigner } from '../src/crypto/signing.ts';
import { openIndex, type IndexStore } from '../src/store/index.ts';
import { memoryTree } from './fixtures/audit-helpers.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tresor-audit-'));
  dirs.push(d);
  return d;
};
// The child fixture uses the same name and seed, so both processes sign alike.
const signer = createNoteSigner('test.tresor/log', new Uint8Array(32).fill(1));
const fixedClock = { now: () => Date.UTC(2024, 5, 1, 12, 0, 0, 123) };
const open = (dir: string): { store: IndexStore; log: AuditLog } => {
  const store = openIndex(dir);
  return { store, log: createAuditLog(store, { signer, origin: signer.name, clock: fixedClock }) };
};
const entries = (n: number, tag = 'e') =>
  Array.from({ length: n }, (_, i) => ({ actor: 'user:alice', action: 'recording.played', target: `${tag}${i}`, detail: { i } }));

describe('audit log on LMDB', () => {
  it('entries_have_the_exact_design_format', async () => {
    const { store, log } = open(tempDir());
    const [e0, e1] = await log.append(entries(2));
    const [l0, l1] = log.lines(0, 2);
    assert.equal(l0, `{"seq":0,"time":"2024-06-01T12:00:00.123Z","actor":"user:alice","action":"recording.played","target":"e0","detail":{"i":0},"prev":"${'0'.repeat(64)}"}`);
    assert.equal(JSON.parse(l1!).prev, toHex(sha256(l0!)));
    assert.deepEqual(e1, JSON.parse(l1!));
    assert.equal(e0!.seq, 0);
    await store.close();
  });

  it('append_continues_the_chain_and_tree_across_reopen', async () => {
    const dir = tempDir();
    let { store, log } = open(dir);
    await log.append(entries(37, 'a'));
    await log.checkpointNow();
    await store.close();
    ({ store, log } = open(dir));
    log.appendSync(entries(30, 'b'));
    await log.append(entries(33, 'c'));
    assert.equal(log.size(), 100);
    const lines = log.lines(0, 100);
    lines.forEach((l, i) => assert.equal(JSON.parse(l).prev, i === 0 ? '0'.repeat(64) : toHex(sha256(lines[i - 1]!))));
    const mem = memoryTree(lines.map((l) => Buffer.from(l)));
    for (const n of [0, 1, 37, 64, 99, 100]) assert.deepEqual(log.rootHash(n), rootAt(mem, n));
    const report = await log.verifyAll();
    assert.deepEqual(report, { ok: true, size: 100, checkpoints: 1, problems: [] });
    await store.close();
  });

  it('proofs_from_the_store_verify_against_its_roots', async () => {
    const { store, log } = open(tempDir());
    await log.append(entries(77));
    const lines = log.lines(0, 77);
    for (const [i, n] of [[0, 1], [5, 77], [76, 77], [31, 32], [40, 64]] as const) {
      const leaf = hashLeaf(Buffer.from(lines[i]!));
      assert.equal(inclusionProblem(leaf, i, n, log.inclusionProof(i, n), log.rootHash(n)), null);
    }
    for (const [m, n] of [[1, 77], [32, 77], [50, 64], [77, 77]] as const) {
      assert.equal(consistencyProblem(m, n, log.consistencyProof(m, n), log.rootHash(m), log.rootHash(n)), null);
    }
    assert.throws(() => log.inclusionProof(77, 77), (e) => isTresorError(e, 'E_INVALID'));
    assert.throws(() => log.rootHash(78), (e) => isTresorError(e, 'E_INVALID'));
    await store.close();
  });

  it('appendSync_is_atomic_with_the_callers_own_writes', async () => {
    const { store, log } = open(tempDir());
    store.txSync(() => {
      store.meta.put('marker', 1);
      log.appendSync(entries(2));
    });
    assert.equal(log.size(), 2);
    assert.throws(() =>
      store.txSync(() => {
        store.meta.put('marker', 2);
        log.appendSync(entries(3));
        throw new Error('caller failed after appending');
      }),
    );
    assert.equal(log.size(), 2);
    assert.equal(store.meta.get('marker'), 1);
    assert.equal((await log.verifyAll()).ok, true);
    await store.close();
  });

  it('invalid_entries_are_refused_before_anything_is_written', async () => {
    const { store, log } = open(tempDir());
    await assert.rejects(log.append([{ actor: '', action: 'x.y', target: 't', detail: {} }]), /actor/);
    assert.throws(() => log.appendSync([{ actor: 'a', action: 'Bad Action', target: 't', detail: {} }]), /action/);
    assert.throws(() => log.appendSync([{ actor: 'a', action: 'x', target: 't', detail: [] as any }]), /detail/);
    assert.equal(log.size(), 0);
    await store.close();
  });

  it('checkpointNow_signs_only_when_the_log_grew_and_keeps_every_checkpoint', async () => {
    const { store, log } = open(tempDir());
    const c0 = await log.checkpointNow();
    assert.equal(c0.size, 0);
    await log.append(entries(5));
    const c5 = await log.checkpointNow();
    assert.equal(c5.size, 5);
    assert.equal((await log.checkpointNow()).note, c5.note);
    await log.append(entries(2));
    await log.checkpointNow();
    assert.deepEqual(log.checkpoints().map((c) => c.size), [0, 5, 7]);
    assert.equal(log.latestCheckpoint()!.size, 7);
    assert.match(c5.note, /^test\.tresor\/log\n5\n[A-Za-z0-9+/]{43}=\n\n\u2014 test\.tresor\/log [A-Za-z0-9+/]+=*\n$/);
    await store.close();
  });

  it('checkpoint_timer_signs_periodically', async () => {
    const { store, log } = open(tempDir());
    await log.append(entries(3));
    log.startCheckpointTimer(10);
    await new Promise((r) => setTimeout(r, 120));
    log.stopCheckpointTimer();
    assert.equal(log.latestCheckpoint()?.size, 3);
    await store.close();
  });

  it('origin_must_equal_the_signing_key_name', () => {
    const store = openIndex(tempDir());
    assert.throws(() => createAuditLog(store, { signer, origin: 'other' }), (e) => isTresorError(e, 'E_CONFIG'));
    return store.close();
  });
});

describe('audit log refuses to contradict what it signed', () => {
  it('open_refuses_a_stored_checkpoint_with_another_root', async () => {
    const dir = tempDir();
    let { store, log } = open(dir);
    await log.append(entries(6));
    const forged = signer.sign(formatCheckpoint({ origin: signer.name, size: 6, root: new Uint8Array(32).fill(1) }));
    await store.tx(() => store.checkpoints.put(6, forged));
    await store.close();
    store = openIndex(dir);
    assert.throws(() => createAuditLog(store, { signer, origin: signer.name }), (e) => isTresorError(e, 'E_LOG_INCONSISTENT'));
    await store.close();
  });

  it('open_refuses_a_log_shorter_than_its_latest_checkpoint', async () => {
    const dir = tempDir();
    let { store, log } = open(dir);
    await log.append(entries(6));
    await log.checkpointNow();
    await store.tx(() => store.log.tamper(5, null)); // as if an old backup had been restored
    await store.close();
    store = openIndex(dir);
    assert.throws(() => createAuditLog(store, { signer, origin: signer.name }), /entries were lost/);
    await store.close();
  });

  it('open_refuses_checkpoints_signed_by_another_key', async () => {
    const dir = tempDir();
    const { store, log } = open(dir);
    await log.append(entries(2));
    await log.checkpointNow();
    const other = createNoteSigner('test.tresor/log', new Uint8Array(32).fill(2));
    assert.throws(() => createAuditLog(store, { signer: other, origin: other.name }), (e) => isTresorError(e, 'E_LOG_INCONSISTENT'));
    await store.close();
  });

  it('verifyAll_reports_an_edited_stored_entry', async () => {
    const { store, log } = open(tempDir());
    await log.append(entries(20));
    await log.checkpointNow();
    const line = store.log.line(7)!;
    await store.tx(() => store.log.tamper(7, line.replace('"e7"', '"e9"')));
    const report = await log.verifyAll();
    assert.equal(report.ok, false);
    assert.ok(report.problems.some((p) => /entry 8: prev does not match/.test(p)), report.problems.join('\n'));
    assert.ok(report.problems.some((p) => /tree node \(0, 7\) does not match/.test(p)));
    assert.ok(report.problems.some((p) => /checkpoint for size 20: signed root differs/.test(p)));
    await store.close();
  });

  it('verifyAll_reports_a_missing_entry_and_progress', async () => {
    const { store, log } = open(tempDir());
    await log.append(entries(10));
    await store.tx(() => store.log.tamper(4, null));
    const seen: number[] = [];
    const report = await log.verifyAll((d) => seen.push(d));
    assert.ok(report.problems.some((p) => /entries 4…4 are missing/.test(p)), report.problems.join('\n'));
    await store.close();
  });
});

describe('two processes appending to one data directory', () => {
  it('keep_one_consistent_chain', async () => {
    const dir = tempDir();
    const child = fileURLToPath(new URL('./fixtures/audit-append-child.ts', import.meta.url));
    const run = (actor: string) =>
      new Promise<void>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', child, dir, actor, '60'], { stdio: ['ignore', 'inherit', 'inherit'] });
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${actor} exited ${code}`))));
      });
    // Create the environment first so both children open an existing one.
    await openIndex(dir).close();
    await Promise.all([run('cli:one'), run('cli:two')]);
    const { store, log } = open(dir);
    assert.equal(log.size(), 120);
    const report = await log.verifyAll();
    assert.deepEqual(report.problems, []);
    const actors = log.entries(0, 120).map((e) => e.actor);
    assert.equal(actors.filter((a) => a === 'cli:one').length, 60);
    assert.equal(actors.filter((a) => a === 'cli:two').length, 60);
    await store.close();
  });
});
