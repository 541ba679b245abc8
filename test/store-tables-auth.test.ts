import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIndex, type HoldRow, type PolicyRow, type PurgeRunRow, type SessionRow, type UserRow } from '../src/store/index.ts';

// The named queries of the auth, audit and retention tables (issue 10 item 1), on a real
// LMDB file: what each owner promises its callers, now that no caller sees a raw handle.

function store() {
  return openIndex(mkdtempSync(join(tmpdir(), 'tresor-tables-')));
}

const MIN = 60_000;
const session = (user: string, createdAt: number, lastSeen: number): SessionRow => ({ user, createdAt, lastSeen, epoch: 0, csrf: 'c' });

test('sessions_unusable_names_idle_expired_and_the_ended_users_sessions_only', async () => {
  const s = store();
  const now = 1_000 * MIN;
  const limits = { idleMs: 30 * MIN, absoluteMs: 12 * 60 * MIN };
  await s.tx(() => {
    s.sessions.put('fresh', session('ada', now - 10 * MIN, now - MIN));
    s.sessions.put('idle', session('ada', now - 60 * MIN, now - 31 * MIN));
    s.sessions.put('old', session('bob', now - 13 * 60 * MIN, now - MIN));
    s.sessions.put('bobs', session('bob', now - 5 * MIN, now - MIN));
  });
  assert.deepEqual(s.sessions.unusable(now, limits).sort(), ['idle', 'old']);
  assert.deepEqual(s.sessions.unusable(now, limits, 'bob').sort(), ['bobs', 'idle', 'old'], '"log out everywhere" ends every session of the user');
  assert.equal(s.sessions.count(), 4, 'a query removes nothing');
  await s.tx(() => s.sessions.unusable(now, limits).forEach((k) => s.sessions.remove(k)));
  assert.equal(s.sessions.count(), 2);
  assert.equal(s.sessions.get('fresh')?.user, 'ada');
  await s.close();
});

test('log_tip_is_minus_one_when_empty_and_the_highest_seq_after_appends', async () => {
  const s = store();
  assert.equal(s.log.tip(), -1);
  assert.deepEqual([...s.log.seqsAbout('target', 'recording:r1', Number.MAX_SAFE_INTEGER)], []);
  await s.tx(() => {
    s.log.append(0, '{"seq":0}', 'recording:r1', 'user:ada');
    s.log.append(1, '{"seq":1}', 'recording:r2', 'user:ada');
    s.log.append(2, '{"seq":2}', 'recording:r1', 'user:bob');
  });
  assert.equal(s.log.tip(), 2);
  assert.equal(s.log.line(1), '{"seq":1}');
  assert.deepEqual([...s.log.range(1, 3)].map((e) => e.key), [1, 2]);
  // the secondary index is written by the owner of the line, newest first
  assert.deepEqual([...s.log.seqsAbout('target', 'recording:r1', Number.MAX_SAFE_INTEGER)], [2, 0]);
  assert.deepEqual([...s.log.seqsAbout('actor', 'user:ada', 1)], [0], 'below beforeSeq only');
  await s.close();
});

test('checkpoints_latest_recent_and_all_keep_size_order', async () => {
  const s = store();
  assert.equal(s.checkpoints.latest(), null);
  await s.tx(() => {
    for (const n of [1, 10, 2]) s.checkpoints.put(n, `note ${n}`);
  });
  assert.deepEqual(s.checkpoints.latest(), { size: 10, note: 'note 10' }, 'by size as a number, not as text');
  assert.deepEqual(s.checkpoints.recent(2).map((c) => c.size), [10, 2]);
  assert.deepEqual(s.checkpoints.all().map((c) => c.size), [1, 2, 10]);
  await s.close();
});

test('policies_get_all_and_remove', async () => {
  const s = store();
  const row = (name: string, keep: string): PolicyRow => ({ v: 1, name, match: {}, keep, lock: false, createdAt: 1, createdBy: 'cli:t', updatedAt: 1, updatedBy: 'cli:t' });
  assert.equal(s.policies.get('support'), undefined);
  await s.tx(() => {
    s.policies.put(row('support', 'P90D'));
    s.policies.put(row('legal', 'P5Y'));
  });
  assert.equal(s.policies.get('support')?.keep, 'P90D');
  assert.deepEqual(s.policies.all().map((p) => p.name), ['legal', 'support']);
  await s.tx(() => s.policies.remove('support'));
  assert.equal(s.policies.get('support'), undefined);
  await s.close();
});

test('holds_active_and_list_by_state_newest_first', async () => {
  const s = store();
  const hold = (id: string, state: HoldRow['state']): HoldRow => ({
    v: 1, id, caseName: 'c', reason: 'r', ids: [], search: { queue: 'q' }, createdAt: 1, createdBy: 'cli:t',
    state, releasedAt: null, releasedBy: null, releaseApprovalId: null,
  });
  await s.tx(() => {
    s.holds.put(hold('A', 'active'));
    s.holds.put(hold('B', 'released'));
    s.holds.put(hold('C', 'active'));
  });
  assert.deepEqual(s.holds.active().map((h) => h.id), ['A', 'C']);
  assert.deepEqual(s.holds.list().map((h) => h.id), ['C', 'B', 'A']);
  assert.deepEqual(s.holds.list('released').map((h) => h.id), ['B']);
  await s.close();
});

test('purge_runs_latest_is_newest_first_and_meta_clock_state_round_trips', async () => {
  const s = store();
  const run = (id: string, startedAt: number): PurgeRunRow => ({ id, by: 'cli:t', startedAt, finishedAt: null, state: 'done', purged: 0, held: 0, report: null });
  assert.deepEqual(s.purgeRuns.latest(1), []);
  await s.tx(() => {
    s.purgeRuns.put(run('01A', 1));
    s.purgeRuns.put(run('01B', 2));
    s.meta.putClockHold({ since: 5, reason: 'jumped' });
    s.meta.putClockTrustedAt(7);
  });
  assert.deepEqual(s.purgeRuns.latest(1).map((r) => r.startedAt), [2]);
  assert.equal(s.purgeRuns.count(), 2);
  assert.deepEqual(s.meta.clockHold(), { since: 5, reason: 'jumped' });
  assert.equal(s.meta.clockTrustedAt(), 7);
  await s.tx(() => s.meta.removeClockHold());
  assert.equal(s.meta.clockHold(), null);
  await s.close();
});

test('a_users_write_in_a_failed_tx_is_not_stored', async () => {
  const s = store();
  const u: UserRow = {
    v: 1, name: 'ada', roles: ['admin'], passwordHash: '!none', disabled: false, createdAt: 1, createdBy: 'cli:t',
    totpSecret: null, totpLastStep: -1, sessionEpoch: 0, lang: null,
  };
  await assert.rejects(s.tx(() => {
    s.users.put(u);
    throw new Error('validation after the write');
  }));
  assert.equal(s.users.count(), 0, 'all-or-nothing: the table owner writes inside the caller\'s tx');
  await s.tx(() => s.users.put(u));
  assert.deepEqual(s.users.all().map((x) => x.name), ['ada']);
  await s.close();
});
