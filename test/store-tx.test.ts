import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { open } from 'lmdb';
import { openIndex } from '../src/store/index.ts';
import { LMDB_OPTIONS } from '../src/store/handles.ts';
import { recordingRow } from './helpers/rows.ts';

const ROOT = resolve(import.meta.dirname, '..');

const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;

// What lmdb-js does with a write transaction whose callback throws, proven on a real
// LMDB file (lmdb-js 3.x): the reason the store has `tx`, and `tx`'s own guarantee.

const tooLong = 'x'.repeat(3000); // LMDB's key limit is 1978 bytes: put() throws

function store() {
  return openIndex(mkdtempSync(join(tmpdir(), 'tresor-tx-')));
}

/** lmdb-js itself, opened as the store opens it, with two named databases: its semantics, not ours. */
function rawLmdb() {
  const root = open({ path: mkdtempSync(join(tmpdir(), 'tresor-tx-raw-')), ...LMDB_OPTIONS });
  return { root, recordings: root.openDB<any, string>({ name: 'recordings' }), tokens: root.openDB<any, any[]>({ name: 'tokens' }), close: () => root.close() };
}

/** A row that `recordings.put` starts writing and then fails on: its token key is too long for LMDB. */
const failsHalfway = (id: string) => recordingRow(id, { sourceSha256: 'sha', tokens: [{ kind: 'phone', token: tooLong }] });

test('lmdb_async_transaction_commits_the_writes_made_before_its_callback_threw', async () => {
  // Not what we want, but what lmdb-js does: this is why nothing may use it for a
  // multi-write commit. Should a future lmdb-js roll back, this test says so.
  const s = rawLmdb();
  await assert.rejects(s.root.transaction(() => {
    s.recordings.put('a', 1);
    s.tokens.put(['queue', tooLong], true);
  }), /Key size/);
  assert.equal(s.recordings.get('a'), 1, 'the write before the throw was committed');
  await s.close();
});

test('lmdb_transactionSync_and_childTransaction_roll_back_on_throw', async () => {
  const s = rawLmdb();
  assert.throws(() => s.root.transactionSync(() => {
    s.recordings.put('sync', 1);
    throw new Error('boom');
  }), /boom/);
  assert.equal(s.recordings.get('sync'), undefined);
  await assert.rejects(s.root.childTransaction(() => {
    s.recordings.put('child', 1);
    throw new Error('boom');
  }), /boom/);
  assert.equal(s.recordings.get('child'), undefined);
  await s.close();
});

test('store_tx_is_all_or_nothing_when_the_callback_throws_after_writing', async () => {
  const s = store();
  await assert.rejects(s.tx(() => {
    // writes the row, its time and sha entries, then throws on the token (issue 9's commit)
    s.recordings.put(failsHalfway('r'));
  }), /Key size/);
  assert.equal(s.recordings.get('r'), undefined);
  assert.equal(s.recordings.idForSha('sha'), undefined);
  await s.close();
});

test('store_tx_commits_durably_and_returns_the_callback_value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-tx-'));
  const s = openIndex(dir);
  const v = await s.tx(() => {
    s.recordings.put(recordingRow('r'));
    return s.recordings.get('r')?.id === 'r' ? 'seen inside' : 'not seen';
  });
  assert.equal(v, 'seen inside', 'a tx reads its own writes');
  await s.close();
  const again = openIndex(dir);
  assert.equal(again.recordings.get('r')?.id, 'r', 'committed to disk');
  await again.close();
});

test('store_tx_failing_aborts_only_itself_when_lmdb_batches_it_with_others', async () => {
  // lmdb-js runs queued async transactions in one LMDB write transaction; one failing
  // callback must not take the others' writes with it, nor keep its own
  const s = store();
  const results = await Promise.allSettled([
    s.tx(() => s.recordings.put(recordingRow('before'))),
    s.tx(() => {
      s.recordings.put(recordingRow('bad'));
      throw new Error('boom');
    }),
    s.tx(() => s.recordings.put(recordingRow('after'))),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.equal(s.recordings.get('before')?.id, 'before');
  assert.equal(s.recordings.get('bad'), undefined);
  assert.equal(s.recordings.get('after')?.id, 'after');
  await s.close();
});

test('store_tx_nested_in_a_write_transaction_rolls_back_only_the_inner_part', async () => {
  const s = store();
  s.txSync(() => {
    s.recordings.put(recordingRow('outer'));
    void s.tx(() => {
      s.recordings.put(recordingRow('inner'));
      throw new Error('boom');
    }).catch(() => undefined);
  });
  assert.equal(s.recordings.get('outer')?.id, 'outer');
  assert.equal(s.recordings.get('inner'), undefined);
  await s.close();
});

test('store_tx_on_a_full_disk_rejects_with_ENOSPC_stores_nothing_and_works_again_once_space_is_back', { skip: canMount ? false : 'needs root to mount a small tmpfs', timeout: 60_000 }, async () => {
  // In a child process: lmdb-js leaves a rejection of its own behind every failed commit,
  // which the test runner would count against this file; the child runs with the
  // service's policy for those (src/service.ts) and reports what happened.
  const dir = mkdtempSync(join(tmpdir(), 'tresor-tx-full-'));
  spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]);
  try {
    const out = await new Promise<string>((res, rej) => execFile(process.execPath, ['--import', 'tsx', 'test/fixtures/full-disk-child.ts', dir],
      { cwd: ROOT }, (err, so, se) => (err ? rej(new Error(`${err.message}\n${se}`)) : res(so))));
    const r = JSON.parse(out) as Record<string, unknown>;
    assert.equal(r.code, 'ENOSPC', JSON.stringify(r));
    assert.match(String(r.message), /index commit failed: No space left/);
    assert.equal(r.partial, null, 'nothing of the failed transaction is stored');
    assert.equal(r.after, 1, 'the next commit works once space is back');
    assert.equal(r.before, 1);
    assert.ok((r.said as string[]).some((m) => /an index commit failed \(disk full\?\)/.test(m)), JSON.stringify(r.said));
    assert.ok((r.said as string[]).some((m) => /internal error \(unhandled promise rejection\); the service keeps running: Error: lost/.test(m)));
    assert.equal(r.alive, true, 'the process went on after an unhandled rejection');
  } finally {
    spawnSync('umount', ['-l', dir]);
  }
});
