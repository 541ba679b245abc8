import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { makeAudio, wavHeader } from './helpers/audio.ts';
import { ingestSite, sidecarOf, source } from './helpers/ingest.ts';
import { fsck } from '../src/site/fsck.ts';
import { createAccess } from '../src/access/index.ts';
import { cliPrincipal } from '../src/auth/roles.ts';
import { listQuarantine, openQuarantined } from '../src/ingest/quarantine.ts';
import { startService } from '../src/service.ts';
import { recoverInflight } from '../src/ingest/recover.ts';
import { cli, testConfig } from './helpers/site.ts';
import { waitFor } from './helpers/wait.ts';

// Faults found by breaking a box the way operators do (issue 9, issue 16): each test
// drives the real pipeline on a real data directory and checks what a user would see.

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('ingest_sidecar_with_an_over_long_queue_is_quarantined_and_nothing_is_half_committed', async () => {
  const s = await ingestSite((c) => (c.ingest.disposition = 'delete'));
  try {
    const path = await makeAudio(s.work(), 'long-queue.wav', { format: 'wav-pcm8k', seconds: 1 });
    const bytes = readFileSync(path);
    writeFileSync(sidecarOf(path), JSON.stringify({ queue: 'q'.repeat(3000), direction: 'in' }));
    const o = await s.ingest.ingestFile(source(path, sidecarOf(path)));
    assert.equal(o.status, 'quarantined', JSON.stringify(o));
    assert.equal((o as { code: string }).code, 'E_SIDECAR_INVALID');
    assert.match((o as { message: string }).message, /queue/);
    // nothing of the failed attempt is in the index: no row, no duplicate-check entry
    assert.equal(s.site.store.recordings.count(), 0);
    assert.equal(s.site.store.recordings.idForSha(sha(bytes)), undefined);
    // the bytes are safe in quarantine, exactly
    const q = await openQuarantined({ dataDir: s.config.dataDir, store: s.site.store, keys: s.site.keys }, (o as { quarantineId: string }).quarantineId);
    assert.ok(q.bytes.equals(bytes));
    assert.deepEqual((await fsck(s.site, s.archive)).problems, []);
  } finally {
    await s.close();
  }
});

test('ingest_redelivery_after_a_failed_commit_is_never_disposed_of_as_a_duplicate', async () => {
  const s = await ingestSite((c) => (c.ingest.disposition = 'delete'));
  try {
    const dir = s.work();
    const path = await makeAudio(dir, 'retry-me.wav', { format: 'wav-pcm8k', seconds: 1 });
    const bytes = readFileSync(path);
    writeFileSync(sidecarOf(path), JSON.stringify({ queue: 'ü'.repeat(1000) }));
    const first = await s.ingest.ingestFile(source(path, sidecarOf(path)));
    assert.notEqual(first.status, 'archived');
    // the PBX delivers the same call again (or the inbox scan takes the file again)
    if (!existsSync(path)) writeFileSync(path, bytes);
    writeFileSync(sidecarOf(path), JSON.stringify({ queue: 'ü'.repeat(1000) }));
    const second = await s.ingest.ingestFile(source(path, sidecarOf(path)));
    assert.notEqual(second.status, 'duplicate', 'a recording that was never stored is no duplicate');
    const stored = s.site.store.recordings.count() + listQuarantine(s.site.store).length;
    assert.ok(stored >= 1 || existsSync(path), 'the call is archived, quarantined or still in the inbox');
    assert.deepEqual((await fsck(s.site, s.archive)).problems, []);
  } finally {
    await s.close();
  }
});

test('list_survives_a_recording_row_without_its_key', async () => {
  const s = await ingestSite();
  try {
    const path = await makeAudio(s.work(), 'keyless.wav', { format: 'wav-pcm8k', seconds: 1 });
    const o = await s.ingest.ingestFile(source(path));
    assert.equal(o.status, 'archived');
    const good = await makeAudio(s.work(), 'fine.wav', { format: 'wav-pcm8k', seconds: 2 });
    assert.equal((await s.ingest.ingestFile(source(good))).status, 'archived');
    // what a half-committed ingest of old left behind: a row whose key never got written
    const id = (o as { id: string }).id;
    await s.site.store.tx(() => s.site.store.keys.remove(id));
    const access = createAccess({ store: s.site.store, keys: s.site.keys, archive: s.archive, log: s.site.log });
    const r = await access.search(cliPrincipal('cli:test'), {});
    assert.equal(r.items.length, 2, 'both calls are listed');
    const broken = r.items.find((v) => v.id === id)!;
    assert.equal(broken.from, null);
    assert.match(String(broken.unreadable), /no data key/);
    assert.ok(r.items.find((v) => v.id !== id)!.sourceName.endsWith('fine.wav'), 'the other call is shown in full');
  } finally {
    await s.close();
  }
});

test('ingest_same_bytes_delivered_twice_at_once_are_archived_once', async () => {
  const s = await ingestSite((c) => (c.ingest.disposition = 'delete'));
  try {
    const a = await makeAudio(s.work(), 'twice.wav', { format: 'wav-pcm8k', seconds: 2 });
    const b = join(s.work(), 'twice.wav');
    copyFileSync(a, b);
    const outcomes = await Promise.all([s.ingest.ingestFile(source(a)), s.ingest.ingestFile(source(b))]);
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['archived', 'duplicate'], JSON.stringify(outcomes));
    assert.equal(s.site.store.recordings.count(), 1);
    const archived = outcomes.find((o) => o.status === 'archived') as { id: string };
    assert.equal((outcomes.find((o) => o.status === 'duplicate') as { id: string }).id, archived.id);
    const dup = s.site.log.entries(0, s.site.log.size()).filter((e) => e.action === 'recording.duplicate');
    assert.equal(dup.length, 1);
    assert.equal(dup[0]!.target, `recording:${archived.id}`);
    assert.ok(!existsSync(a) && !existsSync(b), 'both deliveries are disposed of');
    assert.deepEqual((await fsck(s.site, s.archive)).problems, []);
  } finally {
    await s.close();
  }
});

test('ingest_deeply_nested_sidecar_is_an_invalid_sidecar_not_a_retryable_io_error', async () => {
  const s = await ingestSite();
  try {
    const path = await makeAudio(s.work(), 'nested.wav', { format: 'wav-pcm8k', seconds: 1 });
    writeFileSync(sidecarOf(path), `{"queue":"x","extra":${'['.repeat(32_000)}${']'.repeat(32_000)}}`);
    const o = await s.ingest.ingestFile(source(path, sidecarOf(path)));
    assert.equal(o.status, 'quarantined', JSON.stringify(o).slice(0, 300));
    assert.equal((o as { code: string }).code, 'E_SIDECAR_INVALID');
    assert.match((o as { message: string }).message, /nested/);
    assert.equal(s.transcodes(), 0, 'a bad sidecar costs no transcode');
  } finally {
    await s.close();
  }
});

test('ingest_wav_whose_header_says_1_hz_is_refused_before_any_transcode', async () => {
  // 1 MB of "audio" at 1 Hz claims 138 hours; ffmpeg would resample it for as long as
  // the time limit lets it (90 minutes per attempt on a real box)
  const s = await ingestSite(() => {}, { timeoutMs: 8000, stallMs: 8000 });
  try {
    const dir = s.work();
    const path = join(dir, 'one-hertz.wav');
    const data = randomBytes(1_000_000);
    writeFileSync(path, Buffer.concat([wavHeader({ sampleRate: 1, channels: 1, bitsPerSample: 16, dataBytes: data.length }), data]));
    const o = await s.ingest.ingestFile(source(path));
    assert.equal(o.status, 'quarantined', JSON.stringify(o));
    assert.equal((o as { code: string }).code, 'E_BAD_HEADER');
    assert.match((o as { message: string }).message, /1 Hz/);
    assert.equal(s.transcodes(), 0);
  } finally {
    await s.close();
  }
});

test('ingest_time_out_on_the_same_bytes_twice_is_not_retried_again', async () => {
  // a limit no transcode can meet: every run times out
  const s = await ingestSite((c) => (c.ingest.maxAttempts = 5), { timeoutMs: 1, stallMs: 1 });
  try {
    const path = await makeAudio(s.work(), 'slow.wav', { format: 'wav-pcm8k', seconds: 1 });
    const first = await s.ingest.ingestFile(source(path));
    assert.equal(first.status, 'deferred');
    assert.equal((first as { code: string }).code, 'E_FFMPEG_TIMEOUT');
    // a restart in between (the service starts with recovery) does not forget the first one
    recoverInflight(s.site.store);
    const second = await s.ingest.ingestFile(source(path));
    assert.equal(second.status, 'quarantined', JSON.stringify(second));
    assert.equal((second as { code: string }).code, 'E_FFMPEG_TIMEOUT');
    assert.match((second as { message: string }).message, /timed out before/);
    assert.equal(s.transcodes(), 2);
  } finally {
    await s.close();
  }
});

test('service_journal_names_refused_files_by_a_reference_never_by_their_name', async () => {
  const PHONE = '4930123456';
  const c = testConfig({ maxFileMiB: 1 });
  const said: string[] = [];
  const svc = await startService(c, (m) => said.push(m));
  const names = [
    `in-${PHONE}-015112345678-20261127-142501-1.mkv`, // not an audio extension
    `in-${PHONE}-015112345679-20261127-142502-2.wav`, // over the size cap
  ];
  try {
    writeFileSync(join(c.inbox, names[0]!), 'not audio');
    writeFileSync(join(c.inbox, names[1]!), Buffer.alloc(2 * 1024 * 1024));
    symlinkSync('/etc/hostname', join(c.inbox, `in-${PHONE}-015112345670-20261127-142503-3.wav`));
    await waitFor('three refusals', () => said.filter((m) => /not taking/.test(m)).length >= 3, 30_000);
  } finally {
    await svc.stop();
  }
  const journal = said.join('\n');
  assert.ok(!journal.includes(PHONE), `no phone number in the journal:\n${journal}`);
  const refs = [...journal.matchAll(/not taking file ([0-9a-f]{12}): (E_[A-Z_]+)/g)].map((m) => [m[1]!, m[2]!]);
  assert.deepEqual(refs.map((r) => r[1]).sort(), ['E_NOT_REGULAR_FILE', 'E_TOO_LARGE', 'E_UNSUPPORTED_FORMAT']);
  // the operator at the box turns a reference back into the file
  const tooLarge = refs.find((r) => r[1] === 'E_TOO_LARGE')![0]!;
  const r = await cli(c, ['inbox', 'locate', tooLarge]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), names[1]);
});

test('service_reports_a_file_it_cannot_store_yet_once_and_lists_it_as_deferred', async () => {
  // a reserve no disk meets: every file waits, scan after scan
  const c = testConfig({ minFreeMiB: 1 << 30 });
  const said: string[] = [];
  const svc = await startService(c, (m) => said.push(m));
  try {
    const dir = mkdtempSync(join(tmpdir(), 'tresor-wait-'));
    for (let i = 0; i < 2; i++) {
      const p = await makeAudio(dir, `in-4930123456-01511234567${i}-20261127-14250${i}-${i}.wav`, { format: 'wav-pcm8k', seconds: 1 + i });
      renameSync(p, join(c.inbox, p.split('/').pop()!));
    }
    await waitFor('both deferred', () => svc.status().deferred.length === 2, 30_000);
    const scans = svc.status().queue.done.deferred;
    await waitFor('several more scans', () => svc.status().queue.done.deferred >= scans + 6, 30_000);
    const reports = said.filter((m) => /deferred \(E_DISK_FULL\)/.test(m));
    assert.equal(reports.length, 2, `one report per file, not per scan:\n${reports.join('\n')}`);
    assert.ok(svc.status().deferred.every((d) => d.code === 'E_DISK_FULL' && /^[0-9a-f]{12}$/.test(d.ref)));
    assert.ok(!said.join('\n').includes('4930123456'));
  } finally {
    await svc.stop();
  }
});
