import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, appendFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openIndex } from '../src/store/index.ts';
import { openArchive, recoverSegments, SEGMENT_HEADER_BYTES } from '../src/archive/index.ts';
import { newId } from '../src/core/ids.ts';
import { recordingRow } from './helpers/rows.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'tresor-archive-'));
}

test('archive_append_then_read_returns_the_payload_and_commits_with_the_index', async () => {
  const dir = tmp();
  const store = openIndex(dir);
  const archive = openArchive(dir, store);
  const payload = randomBytes(5000);
  const id = newId();
  const loc = (await archive.append(id, payload, (l) => store.recordings.put(recordingRow(id, l))))!;
  const { segment, offset, length, payloadSha256 } = store.recordings.get(id)!;
  assert.deepEqual({ segment, offset, length, payloadSha256 }, loc);
  assert.deepEqual(await archive.read(loc), payload);
  const seg = store.segments.get(loc.segment)!;
  assert.equal(seg.committedBytes, statSync(join(dir, 'archive', loc.segment)).size);
  await archive.close();
  await store.close();
});

test('archive_failed_index_commit_leaves_no_bytes_behind', async () => {
  const dir = tmp();
  const store = openIndex(dir);
  const archive = openArchive(dir, store);
  const ok = (await archive.append(newId(), randomBytes(100), () => {}))!;
  await assert.rejects(archive.append(newId(), randomBytes(100), () => { throw new Error('index says no'); }));
  assert.equal(statSync(join(dir, 'archive', ok.segment)).size, ok.offset + ok.length);
  const next = (await archive.append(newId(), randomBytes(10), () => {}))!;
  assert.equal(next.offset, ok.offset + ok.length);
  await archive.close();
  await store.close();
});

test('archive_commit_that_throws_after_writing_leaves_no_index_entry_and_no_bytes', async () => {
  // lmdb-js commits the writes an async transaction() made before its callback threw;
  // the archive's commit must be all-or-nothing anyway (issue 9: a half-committed row)
  const dir = tmp();
  const store = openIndex(dir);
  const archive = openArchive(dir, store);
  const ok = (await archive.append(newId(), randomBytes(100), () => {}))!;
  const id = newId();
  await assert.rejects(archive.append(id, randomBytes(100), () => {
    store.recordings.put(recordingRow(id, { sourceSha256: 'f'.repeat(64) }));
    throw new Error('key too long, say');
  }), /key too long/);
  assert.equal(store.recordings.get(id), undefined, 'no row');
  assert.equal(store.recordings.idForSha('f'.repeat(64)), undefined, 'no duplicate-check entry');
  assert.equal(store.segments.get(ok.segment)!.committedBytes, ok.offset + ok.length);
  assert.equal(statSync(join(dir, 'archive', ok.segment)).size, ok.offset + ok.length);
  await archive.close();
  await store.close();
});

test('archive_disk_full_during_write_reports_E_DISK_FULL_and_keeps_the_segment_clean', async () => {
  const dir = tmp();
  const store = openIndex(dir);
  let fail = false;
  const archive = openArchive(dir, store, {
    beforeWrite: () => {
      if (fail) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
  });
  const first = (await archive.append(newId(), randomBytes(100), () => {}))!;
  fail = true;
  await assert.rejects(archive.append(newId(), randomBytes(100), () => {}), (e: any) => e.code === 'E_DISK_FULL' && /disk is full/.test(e.message));
  assert.equal(statSync(join(dir, 'archive', first.segment)).size, first.offset + first.length);
  await archive.close();
  await store.close();
});

test('archive_recovery_truncates_an_uncommitted_tail_of_a_dead_writer', async () => {
  const dir = tmp();
  const store = openIndex(dir);
  const archive = openArchive(dir, store);
  const loc = (await archive.append(newId(), randomBytes(300), () => {}))!;
  await archive.close();
  // a dead writer's half-written record: pretend the segment belonged to a gone process
  const path = join(dir, 'archive', loc.segment);
  appendFileSync(path, randomBytes(777));
  const row = store.segments.get(loc.segment)!;
  store.txSync(() => store.segments.put(loc.segment, { ...row, state: 'open', pid: 999999, pidStart: 'x' }));
  const report = recoverSegments(dir, store);
  assert.deepEqual(report.truncated, [{ segment: loc.segment, bytes: 777 }]);
  assert.equal(statSync(path).size, loc.offset + loc.length);
  assert.equal(store.segments.get(loc.segment)!.state, 'closed');
  await store.close();
});

test('archive_recovery_reports_a_segment_shorter_than_the_index_as_damaged', async () => {
  const dir = tmp();
  const store = openIndex(dir);
  const archive = openArchive(dir, store);
  const loc = (await archive.append(newId(), randomBytes(300), () => {}))!;
  await archive.close();
  const { truncateSync } = await import('node:fs');
  truncateSync(join(dir, 'archive', loc.segment), SEGMENT_HEADER_BYTES + 10);
  const report = recoverSegments(dir, store);
  assert.equal(report.damaged.length, 1);
  assert.equal(report.damaged[0]!.segment, loc.segment);
  await store.close();
});

test('archive_rotates_segments_at_the_size_limit', async () => {
  const dir = tmp();
  const store = openIndex(dir);
  const archive = openArchive(dir, store, { maxSegmentBytes: 4096 });
  const locs = [];
  for (let i = 0; i < 5; i++) locs.push((await archive.append(newId(), randomBytes(1500), () => {}))!);
  assert.ok(new Set(locs.map((l) => l.segment)).size >= 2);
  for (const l of locs) assert.equal((await archive.read(l)).length, 1500);
  assert.equal(readdirSync(join(dir, 'archive')).length, new Set(locs.map((l) => l.segment)).size);
  await archive.close();
  await store.close();
});

test('archive_read_detects_a_flipped_byte', async () => {
  const dir = tmp();
  const store = openIndex(dir);
  const archive = openArchive(dir, store);
  const loc = (await archive.append(newId(), randomBytes(300), () => {}))!;
  await archive.close();
  const { openSync, writeSync, closeSync } = await import('node:fs');
  const fd = openSync(join(dir, 'archive', loc.segment), 'r+');
  writeSync(fd, Buffer.from([0x55]), 0, 1, loc.offset + 100);
  closeSync(fd);
  const again = openArchive(dir, store);
  await assert.rejects(again.read(loc), /checksum|does not match/);
  await again.close();
  await store.close();
});
