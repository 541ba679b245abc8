import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, existsSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { execFileSync, spawnSync } from 'node:child_process';
import { makeAudio } from './helpers/audio.ts';
import { testConfig, cli, startServe } from './helpers/site.ts';
import { ingestSite, source } from './helpers/ingest.ts';
import { waitFor } from './helpers/wait.ts';
import { openQuarantined } from '../src/ingest/quarantine.ts';

// A real full disk: the data directory on a small tmpfs. Mounting needs root (CI runs as
// root); elsewhere the test says why it skips. The archive-level ENOSPC path is also
// covered by an injected fault in archive.test.ts.
const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;

test('diskfull_keeps_sources_reports_clearly_and_leaves_a_clean_archive', { skip: canMount ? false : 'needs root to mount a small tmpfs', timeout: 120_000 }, async () => {
  const c = testConfig({ minFreeMiB: 0, storeFormat: 'original' });
  mkdirSync(c.dataDir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=5m,mode=0700', 'tmpfs', c.dataDir]);
  try {
    assert.equal((await cli(c, ['init'])).code, 0, 'only serve and init create an archive');
    const files: string[] = [];
    for (let i = 0; i < 5; i++) {
      files.push(await makeAudio(c.inbox, `call-${i}`, { format: 'wav-pcm16k', seconds: 40 + i, source: 'noise' }));
    }
    const sums = files.map((f) => createHash('sha256').update(readFileSync(f)).digest('hex'));
    const r = await cli(c, ['ingest', '--dispose', 'delete', ...files]);
    assert.equal(r.code, 1, 'a partial ingest exits non-zero');
    assert.match(r.stdout, /NOT DONE \(E_DISK_FULL\).*disk is (nearly )?full.*source left in the inbox/);
    const archived = files.filter((f) => !existsSync(f));
    const kept = files.filter((f) => existsSync(f));
    assert.ok(archived.length >= 1 && kept.length >= 1, r.stdout);
    for (const f of kept) assert.equal(createHash('sha256').update(readFileSync(f)).digest('hex'), sums[files.indexOf(f)], 'kept sources are untouched');
    const fsck = await cli(c, ['fsck']);
    assert.equal(fsck.code, 0, fsck.stdout + fsck.stderr);
    const list = JSON.parse((await cli(c, ['list', '--json'])).stdout) as { sourceSha256: string }[];
    assert.equal(list.length, archived.length);
  } finally {
    execFileSync('umount', ['-l', c.dataDir]);
  }
});

/** Fills the file system at `dir` until only about `leave` bytes are free. */
function fill(dir: string, leave: number): string {
  const filler = join(dir, 'filler');
  const free = () => { const s = statfsSync(dir); return Number(s.bavail) * Number(s.bsize); };
  const fd = openSync(filler, 'w');
  try {
    const block = Buffer.alloc(64 * 1024, 1);
    while (free() > leave + block.length) writeSync(fd, block);
    const rest = free() - leave;
    if (rest > 0) writeSync(fd, block.subarray(0, rest));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return filler;
}

/** Every file below `dir`, relative, except the filler. */
function filesBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else if (e.name !== 'filler') out.push(rel + e.name);
    }
  };
  walk(dir, '');
  return out;
}

test('diskfull_pending_file_is_deferred_before_any_transcode_and_reported_once', { skip: canMount ? false : 'needs root to mount a small tmpfs', timeout: 120_000 }, async () => {
  const probe = testConfig();
  mkdirSync(probe.dataDir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', probe.dataDir]);
  const s = await ingestSite((c) => {
    c.dataDir = probe.dataDir;
    c.inbox = probe.inbox;
  });
  try {
    // five minutes of 16 kHz PCM: ~660 KiB as Opus, with ~300 KiB free
    const path = await makeAudio(s.work(), 'long-call', { format: 'wav-pcm16k', seconds: 300 });
    fill(probe.dataDir, 300 * 1024);
    const outcomes = [];
    for (let scan = 0; scan < 3; scan++) outcomes.push(await s.ingest.ingestFile(source(path)));
    for (const o of outcomes) {
      assert.equal(o.status, 'deferred', JSON.stringify(o));
      assert.equal((o as { code: string }).code, 'E_DISK_FULL');
    }
    assert.equal(s.transcodes(), 0, 'no transcode for a file that cannot be stored');
    assert.deepEqual(outcomes.map((o) => (o as { firstReport: boolean }).firstReport), [true, false, false], 'reported once, not once per scan');
    assert.equal(s.site.log.entries(0, s.site.log.size()).filter((e) => e.action === 'ingest.deferred').length, 1);
    assert.ok(existsSync(path), 'the source stays');
  } finally {
    await s.close();
    execFileSync('umount', ['-l', probe.dataDir]);
  }
});

test('diskfull_quarantine_of_a_large_file_defers_and_leaves_no_partial_files', { skip: canMount ? false : 'needs root to mount a small tmpfs', timeout: 120_000 }, async () => {
  const probe = testConfig();
  mkdirSync(probe.dataDir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', probe.dataDir]);
  const s = await ingestSite((c) => {
    c.dataDir = probe.dataDir;
    c.inbox = probe.inbox;
  });
  try {
    const path = join(s.work(), 'in-4930123456-015112345678-20261127-142501-1.wav');
    const bytes = randomBytes(3 * 1024 * 1024); // not audio: it is to be quarantined
    writeFileSync(path, bytes);
    const before = filesBelow(probe.dataDir);
    const filler = fill(probe.dataDir, 2 * 1024 * 1024); // room for the index, not for a 3 MiB copy
    for (let scan = 0; scan < 2; scan++) {
      const o = await s.ingest.ingestFile(source(path));
      assert.equal(o.status, 'deferred', JSON.stringify(o));
      assert.equal((o as { code: string }).code, 'E_DISK_FULL');
      assert.match((o as { message: string }).message, /quarantine/);
    }
    assert.deepEqual(filesBelow(probe.dataDir).filter((f) => !f.startsWith('index/')), before.filter((f) => !f.startsWith('index/')), 'no orphan folder, no partial temp file');
    assert.ok(readFileSync(path).equals(bytes), 'the source is untouched');
    // space back: the next scan quarantines it, byte-identical
    rmSync(filler);
    const o = await s.ingest.ingestFile(source(path));
    assert.equal(o.status, 'quarantined', JSON.stringify(o));
    const q = await openQuarantined({ dataDir: probe.dataDir, store: s.site.store, keys: s.site.keys }, (o as { quarantineId: string }).quarantineId);
    assert.ok(q.bytes.equals(bytes));
  } finally {
    await s.close();
    execFileSync('umount', ['-l', probe.dataDir]);
  }
});

test('diskfull_lmdb_commit_failure_defers_and_the_service_keeps_serving', { skip: canMount ? false : 'needs root to mount a small tmpfs', timeout: 180_000 }, async () => {
  const c = testConfig({ minFreeMiB: 0 });
  mkdirSync(c.dataDir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', c.dataDir]);
  const child = startServe(c);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  try {
    await waitFor('service up', () => /console on (\S+)/.exec(err) || child.exitCode !== null, 30_000, 20);
    assert.equal(child.exitCode, null, err);
    const url = /console on (\S+),/.exec(err)![1]!;
    const staging = join(c.dataDir, '..', 'staging');
    mkdirSync(staging, { recursive: true });
    const calls = [];
    for (let i = 0; i < 3; i++) calls.push(await makeAudio(staging, `full-${i}`, { format: 'wav-pcm8k', seconds: 2 + i, source: 'noise', seed: i }));
    const filler = fill(c.dataDir, 0); // not one byte left: every index commit that grows the file fails
    for (const p of calls) renameSync(p, join(c.inbox, p.split('/').pop()!));
    await waitFor('a deferral', () => /deferred \(E_DISK_FULL\)/.test(err) || child.exitCode !== null, 60_000, 50);
    // a few more scans on the full disk, then the box must still answer
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(child.exitCode, null, `the service died on the full disk:\n${err}`);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    rmSync(filler);
    await waitFor('inbox empty', () => readdirSync(c.inbox).length === 0 || child.exitCode !== null, 60_000, 100);
    assert.equal(child.exitCode, null, err);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, err);
    assert.equal(err.match(/deferred \(E_DISK_FULL\)/g)!.length <= calls.length, true, `one deferral report per file at most:\n${err}`);
    if (process.env.SHOW) console.error(err);
    const fsck = await cli(c, ['fsck']);
    assert.equal(fsck.code, 0, fsck.stdout + fsck.stderr);
    const list = JSON.parse((await cli(c, ['list', '--json'])).stdout) as unknown[];
    assert.equal(list.length, calls.length);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    execFileSync('umount', ['-l', c.dataDir]);
  }
});
