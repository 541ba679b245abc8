// The recordings owner (src/store/recordings.ts) keeps every secondary index of a row —
// tokens, byStart, bySha, byExpiry — and is the only code that writes them (issue 10
// item 1: byExpiry used to be written by ingest and by retention). Proven on a real LMDB
// file, read back through a second, read-only open of the same index where it matters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIndex, type IndexStore } from '../src/store/index.ts';
import { recordingRow } from './helpers/rows.ts';

const DAY = 86_400_000;
const T = 1_750_000_000_000;

function fresh(): { dir: string; s: IndexStore } {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-rec-'));
  return { dir, s: openIndex(dir) };
}

const row = (id: string, start: number, expiresAt: number | null) => recordingRow(id, {
  start, queue: 'support', sourceSha256: `sha-${id}`,
  tokens: [{ kind: 'phone', token: `tok-phone-${id}` }, { kind: 'agent', token: 'tok-agent-ada' }, { kind: 'callId', token: `tok-call-${id}` }],
  retention: { policy: 'p', expiresAt },
});

/** Every way a recording can be found by something other than its id. */
function findable(s: IndexStore, id: string, start: number) {
  return {
    byStart: s.recordings.inTimeIndex(start, id),
    bySha: s.recordings.idForSha(`sha-${id}`) === id,
    byPhone: s.recordings.search({ phoneToken: `tok-phone-${id}` }).rows.some((r) => r.id === id),
    byAgent: s.recordings.search({ agentToken: 'tok-agent-ada' }).rows.some((r) => r.id === id),
    byQueue: s.recordings.search({ queue: 'support' }).rows.some((r) => r.id === id),
    byTime: s.recordings.search({ fromMs: start, toMs: start }).rows.some((r) => r.id === id),
    expiring: [...s.recordings.expiringBefore(Number.MAX_SAFE_INTEGER)].includes(id),
  };
}

test('store_recordings_put_writes_every_secondary_index_of_the_row', async () => {
  const { dir, s } = fresh();
  await s.tx(() => s.recordings.put(row('A', T, T + 30 * DAY)));
  await s.close();
  const ro = openIndex(dir, { readOnly: true });
  assert.deepEqual(findable(ro, 'A', T), { byStart: true, bySha: true, byPhone: true, byAgent: true, byQueue: true, byTime: true, expiring: true });
  assert.equal(ro.recordings.count(), 1);
  await ro.close();
});

test('store_recordings_setRetention_moves_the_expiry_entry_and_leaves_no_old_one', async () => {
  const { s } = fresh();
  await s.tx(() => {
    s.recordings.put(row('A', T, T + 30 * DAY));
    s.recordings.put(row('B', T + 1, null));
  });
  assert.deepEqual([...s.recordings.expiringBefore(T + 30 * DAY)], ['A']);
  // later: A is kept longer, B gets an expiry for the first time
  await s.tx(() => {
    assert.equal(s.recordings.setRetention('A', { policy: 'long', expiresAt: T + 90 * DAY }), true);
    assert.equal(s.recordings.setRetention('B', { policy: 'p', expiresAt: T + 10 * DAY }), true);
    assert.equal(s.recordings.setRetention('nope', { policy: 'p', expiresAt: T }), false);
  });
  assert.deepEqual([...s.recordings.expiringBefore(T + 30 * DAY)], ['B'], 'A\'s old expiry is gone');
  assert.deepEqual([...s.recordings.expiringBefore(T + 90 * DAY)], ['B', 'A'], 'soonest first');
  assert.equal(s.recordings.get('A')!.retention!.policy, 'long');
  // no expiry at all (the clock is suspect): out of byExpiry entirely
  await s.tx(() => s.recordings.setRetention('A', { policy: 'long', expiresAt: null, awaitingClock: true }));
  assert.deepEqual([...s.recordings.expiringBefore(Number.MAX_SAFE_INTEGER)], ['B']);
  assert.equal(findable(s, 'A', T).byPhone, true, 'the other indexes are untouched');
  await s.close();
});

test('store_recordings_drop_leaves_no_token_byStart_bySha_or_byExpiry_key', async () => {
  const { dir, s } = fresh();
  await s.tx(() => {
    s.recordings.put(row('A', T, T + DAY));
    s.recordings.put(row('B', T + 5, T + 2 * DAY));
  });
  await s.tx(() => s.recordings.setRetention('A', { policy: 'p', expiresAt: T + 3 * DAY }));
  const gone = await s.tx(() => s.recordings.drop('A'));
  assert.equal(gone?.id, 'A', 'drop returns the row it removed');
  assert.equal(await s.tx(() => s.recordings.drop('A')), undefined, 'dropping twice is a no-op');
  await s.close();
  const ro = openIndex(dir, { readOnly: true });
  assert.equal(ro.recordings.get('A'), undefined);
  assert.deepEqual(findable(ro, 'A', T), { byStart: false, bySha: false, byPhone: false, byAgent: false, byQueue: false, byTime: false, expiring: false });
  assert.deepEqual(findable(ro, 'B', T + 5), { byStart: true, bySha: true, byPhone: true, byAgent: true, byQueue: true, byTime: true, expiring: true }, 'the other row keeps all of its entries');
  assert.equal(ro.recordings.count(), 1);
  await ro.close();
});

test('store_recordings_drop_keeps_a_bySha_entry_that_names_another_recording', async () => {
  // the same bytes archived again after a purge map to the new id: dropping the old row must not unmap it
  const { s } = fresh();
  await s.tx(() => s.recordings.put(row('A', T, null)));
  await s.tx(() => s.recordings.put({ ...row('C', T + 1, null), sourceSha256: 'sha-A' }));
  await s.tx(() => s.recordings.drop('A'));
  assert.equal(s.recordings.idForSha('sha-A'), 'C');
  await s.close();
});

test('store_recordings_put_in_a_tx_that_throws_afterwards_leaves_nothing', async () => {
  const { dir, s } = fresh();
  await assert.rejects(s.tx(() => {
    s.recordings.put(row('A', T, T + DAY));
    s.keys.put('A', { epoch: 1, nonce: new Uint8Array(24), box: new Uint8Array(48) });
    throw new Error('the log append failed, say');
  }), /log append failed/);
  // a put that fails half-way inside the owner itself (a token key LMDB refuses, issue 9)
  await assert.rejects(s.tx(() => s.recordings.put({ ...row('B', T, T + DAY), tokens: [{ kind: 'phone', token: 'x'.repeat(3000) }] })), /Key size/);
  await s.close();
  const ro = openIndex(dir, { readOnly: true });
  for (const [id, start] of [['A', T], ['B', T]] as const) {
    assert.equal(ro.recordings.get(id), undefined, `no row ${id}`);
    assert.deepEqual(findable(ro, id, start), { byStart: false, bySha: false, byPhone: false, byAgent: false, byQueue: false, byTime: false, expiring: false });
  }
  assert.equal(ro.keys.has('A'), false, 'no key either');
  assert.equal(ro.recordings.count(), 0);
  await ro.close();
});

test('store_recordings_put_refuses_an_over_long_queue_before_its_first_write', async () => {
  const { s } = fresh();
  await assert.rejects(s.tx(() => s.recordings.put({ ...row('A', T, T + DAY), queue: 'q'.repeat(2000) })), (e: { code?: string }) => e.code === 'E_SIDECAR_INVALID');
  assert.deepEqual(findable(s, 'A', T), { byStart: false, bySha: false, byPhone: false, byAgent: false, byQueue: false, byTime: false, expiring: false });
  await s.close();
});

test('store_quarantine_owns_its_q_prefixed_bySha_entries', async () => {
  const { s } = fresh();
  const q = { id: 'Q1', code: 'E_X', message: 'm', sourceSha256: 'sha-A', sourceBytes: 10, hasSidecar: false, quarantinedAt: T, attempts: 1, personal: new Uint8Array(0) };
  await s.tx(() => {
    s.recordings.put(row('A', T, null));
    s.quarantine.add(q);
    s.quarantine.add({ ...q, id: 'Q0', sourceSha256: 'sha-empty', sourceBytes: 0 });
  });
  assert.equal(s.quarantine.idForSha('sha-A'), 'Q1');
  assert.equal(s.recordings.idForSha('sha-A'), 'A', 'the recording\'s entry is a different key');
  assert.equal(s.quarantine.idForSha('sha-empty'), undefined, 'empty files are never joined');
  await s.tx(() => s.quarantine.drop('Q1'));
  assert.equal(s.quarantine.idForSha('sha-A'), undefined);
  assert.equal(s.recordings.idForSha('sha-A'), 'A');
  await s.close();
});

test('store_inflight_claim_takes_a_free_source_and_refuses_a_kept_one', async () => {
  const { s } = fresh();
  const me = { pid: process.pid, pidStart: null, size: 5, mtimeMs: 7, now: T };
  const first = await s.tx(() => s.inflight.claim('k', me));
  assert.equal(typeof first === 'object' && first.state, 'working');
  await s.tx(() => s.inflight.put('k', { pid: 0, pidStart: null, startedAt: T, state: 'kept', attempts: 0, size: 5, mtimeMs: 7 }));
  assert.equal(await s.tx(() => s.inflight.claim('k', me)), 'kept');
  const changed = await s.tx(() => s.inflight.claim('k', { ...me, size: 6 }));
  assert.equal(typeof changed === 'object' && changed.state, 'working', 'a changed file is taken again');
  await s.close();
});
