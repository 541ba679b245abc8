// Scanner tests with real files, real timing and a small settle time (200 ms).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, appendFile, symlink, rename, link, rm, open } from 'node:fs/promises';
import { constants, openSync, closeSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createScanner, type ReadyFile, type RejectedEntry, type ScannerOptions } from '../src/ingest/scanner.ts';
import { classifyName } from '../src/ingest/filter.ts';
import type { TresorError } from '../src/core/errors.ts';

const SETTLE = 200;
const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tresor-scan-'));
  roots.push(d);
  return d;
}

async function harness(extra: Partial<ScannerOptions> = {}) {
  const root = await tempDir();
  const inbox = join(root, 'inbox');
  await mkdir(inbox);
  const ready: Array<ReadyFile & { at: number }> = [];
  const rejected: RejectedEntry[] = [];
  const errors: TresorError[] = [];
  const scanner = createScanner({
    inbox,
    settleMs: SETTLE,
    intervalMs: 100,
    maxBytes: 1 << 20,
    onReady: (f) => ready.push({ ...f, at: performance.now() }),
    onRejected: (r) => rejected.push(r),
    onError: (e) => errors.push(e),
    ...extra,
  });
  return { root, inbox, scanner, ready, rejected, errors };
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}

/** Two scans spanning the settle time: enough for anything finished to be decided. */
async function settleScans(s: { scanOnce(): Promise<void> }): Promise<void> {
  await s.scanOnce();
  await sleep(SETTLE + 30);
  await s.scanOnce();
}

/** Writes `chunks` pieces `gapMs` apart; returns the longest pause the writer actually made. */
async function writeInChunks(path: string, chunks: number, gapMs: number): Promise<{ maxGap: number; lastWrite: number }> {
  let maxGap = 0;
  let prev = performance.now();
  for (let i = 0; i < chunks; i++) {
    await appendFile(path, Buffer.alloc(1000, i));
    const now = performance.now();
    maxGap = Math.max(maxGap, now - prev);
    prev = now;
    if (i < chunks - 1) await sleep(gapMs);
  }
  return { maxGap, lastWrite: performance.now() };
}

test('filter_classifyName_table', () => {
  const cases: Array<[string, string]> = [
    ['a.wav', 'audio'], ['A.WAV', 'audio'], ['x.sln16', 'audio'], ['x.ulaw', 'audio'], ['x.opus', 'audio'],
    ['a.json', 'sidecar'], ['A.JSON', 'sidecar'],
    ['.a.wav', 'ignore'], ['a.wav.part', 'ignore'], ['a.tmp', 'ignore'], ['a.partial', 'ignore'], ['~$a.wav', 'ignore'],
    ['a.crdownload', 'ignore'], ['a.wav.filepart', 'ignore'], ['a.swp', 'ignore'], ['a.wav~', 'ignore'],
    ['.~lock.a.wav#', 'ignore'], ['~smb1234', 'ignore'], ['Thumbs.db', 'ignore'], ['A.WAV.PART', 'ignore'],
    ['notes.txt', 'unsupported'], ['video.mkv', 'unsupported'], ['noext', 'unsupported'], ['a.wav.bak', 'unsupported'],
  ];
  for (const [name, kind] of cases) assert.equal(classifyName(name), kind, name);
});

test('scanner_fileWrittenInChunks_emittedOnceAfterItStopped', async (t) => {
  const h = await harness({ intervalMs: 50 });
  const p = join(h.inbox, 'in-4930123456-201-20261127-142501-1764250000.12.wav');
  h.scanner.start();
  try {
    const { maxGap, lastWrite } = await writeInChunks(p, 15, 40); // ~600 ms
    await waitFor(() => h.ready.length > 0);
    await sleep(SETTLE + 150);
    assert.equal(h.ready.length, 1);
    assert.equal(h.ready[0]?.size, 15_000);
    assert.equal(h.ready[0]?.path, p);
    if (maxGap >= SETTLE) {
      t.diagnostic(`machine too loaded: the writer paused ${maxGap.toFixed(0)} ms, longer than the settle time`);
    } else {
      assert.ok(h.ready[0]!.at - lastWrite >= SETTLE - 5, `emitted ${(h.ready[0]!.at - lastWrite).toFixed(0)} ms after the last write`);
    }
  } finally {
    await h.scanner.stop();
  }
});

test('scanner_zeroByteFile_settlesThenEmitted', async () => {
  const h = await harness();
  await writeFile(join(h.inbox, 'empty.wav'), '');
  await h.scanner.scanOnce();
  assert.equal(h.ready.length, 0, 'not before it settled');
  await sleep(SETTLE + 30);
  await h.scanner.scanOnce();
  assert.equal(h.ready.length, 1);
  assert.equal(h.ready[0]?.size, 0);
  assert.equal(h.ready[0]?.sidecarPath, null);
});

test('scanner_hiddenTempPartialNames_ignored_otherExtensionsRejectedOnce', async () => {
  const h = await harness();
  const ignored = ['.hidden.wav', 'a.wav.part', 'b.tmp', 'c.partial', '~$d.wav', 'e.crdownload', 'f.filepart',
    'g.swp', 'h.wav~', '.~lock.i.wav#', '~smb0001', 'Thumbs.db'];
  for (const n of ignored) await writeFile(join(h.inbox, n), 'x');
  await mkdir(join(h.inbox, '.snapshot'));
  await writeFile(join(h.inbox, '.snapshot', 'old.wav'), 'x');
  await writeFile(join(h.inbox, 'orphan.json'), '{}');
  await writeFile(join(h.inbox, 'notes.txt'), 'x');
  await settleScans(h.scanner);
  await h.scanner.scanOnce();
  assert.deepEqual(h.ready, []);
  assert.deepEqual(h.rejected.map((r) => [r.relPath, r.code]), [['notes.txt', 'E_UNSUPPORTED_FORMAT']]);
});

test('scanner_symlinksAndFifo_rejectedOnceNeverFollowedOrOpened', { timeout: 10_000 }, async () => {
  const h = await harness();
  const outside = join(h.root, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'secret.wav'), 'RIFF....WAVE');
  await symlink(join(outside, 'secret.wav'), join(h.inbox, 'linked.wav'));
  await symlink(outside, join(h.inbox, 'linkdir'));
  const fifo = join(h.inbox, 'pipe.wav');
  execFileSync('mkfifo', [fifo]);
  await settleScans(h.scanner);
  await h.scanner.scanOnce();
  assert.deepEqual(h.ready, [], 'nothing through a link or FIFO');
  const got = h.rejected.map((r) => [r.relPath, r.code, r.type]).sort();
  assert.deepEqual(got, [
    ['linkdir', 'E_NOT_REGULAR_FILE', 'symlink'],
    ['linked.wav', 'E_NOT_REGULAR_FILE', 'symlink'],
    ['pipe.wav', 'E_NOT_REGULAR_FILE', 'fifo'],
  ]);
  // No reader holds the FIFO: a non-blocking writer open fails with ENXIO.
  assert.throws(() => closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)), { code: 'ENXIO' });
});

test('scanner_hardLinkedFile_rejected', async () => {
  const h = await harness();
  await writeFile(join(h.inbox, 'a.wav'), 'abc');
  await link(join(h.inbox, 'a.wav'), join(h.root, 'elsewhere.wav'));
  await settleScans(h.scanner);
  assert.deepEqual(h.ready, []);
  assert.deepEqual(h.rejected.map((r) => [r.relPath, r.code]), [['a.wav', 'E_NOT_REGULAR_FILE']]);
});

test('scanner_oversizedFile_rejectedOnceAfterSettling', async () => {
  const h = await harness({ maxBytes: 100 });
  await writeFile(join(h.inbox, 'big.wav'), Buffer.alloc(101));
  await writeFile(join(h.inbox, 'fits.wav'), Buffer.alloc(100));
  await h.scanner.scanOnce();
  assert.equal(h.rejected.length, 0, 'not before it settled');
  await sleep(SETTLE + 30);
  await h.scanner.scanOnce();
  await h.scanner.scanOnce();
  assert.deepEqual(h.rejected.map((r) => [r.relPath, r.code, r.size]), [['big.wav', 'E_TOO_LARGE', 101]]);
  assert.deepEqual(h.ready.map((f) => f.relPath), ['fits.wav']);
});

test('scanner_nestedFreePbxFolders_found', async () => {
  const h = await harness();
  const dir = join(h.inbox, '2026', '11', '27');
  await mkdir(dir, { recursive: true });
  await mkdir(join(h.inbox, '2026', '11', '26'), { recursive: true }); // empty day folder: left alone
  const name = 'in-4930123456-015112345678-20261127-142501-1764250000.12.wav';
  await writeFile(join(dir, name), 'RIFF');
  await settleScans(h.scanner);
  assert.equal(h.ready.length, 1);
  assert.equal(h.ready[0]?.relPath, `2026/11/27/${name}`);
  assert.equal(h.ready[0]?.path, join(dir, name));
});

test('scanner_sidecar_pairedWithItsAudio', async () => {
  const h = await harness();
  await writeFile(join(h.inbox, 'call.wav'), 'RIFF');
  await writeFile(join(h.inbox, 'call.json'), '{"agent":"Anna"}');
  await writeFile(join(h.inbox, 'other.wav'), 'RIFF');
  await settleScans(h.scanner);
  const byName = Object.fromEntries(h.ready.map((f) => [f.relPath, f.sidecarPath]));
  assert.deepEqual(byName, { 'call.wav': join(h.inbox, 'call.json'), 'other.wav': null });
});

test('scanner_sidecarStillBeingWritten_audioWaitsForIt', async (t) => {
  const h = await harness({ intervalMs: 50 });
  await writeFile(join(h.inbox, 'call.wav'), 'RIFF');
  h.scanner.start();
  try {
    await sleep(60); // the audio is seen first, the sidecar arrives within its settle window
    const { maxGap, lastWrite } = await writeInChunks(join(h.inbox, 'call.json'), 10, 40);
    await waitFor(() => h.ready.length > 0);
    assert.equal(h.ready[0]?.sidecarPath, join(h.inbox, 'call.json'));
    if (maxGap < SETTLE) assert.ok(h.ready[0]!.at - lastWrite >= SETTLE - 5, 'waited for the sidecar to settle');
    else t.diagnostic(`machine too loaded: writer paused ${maxGap.toFixed(0)} ms`);
  } finally {
    await h.scanner.stop();
  }
  assert.equal(h.ready.length, 1);
});

test('scanner_fileReplacedUnderSameName_restartsTheClock', async () => {
  const h = await harness();
  const p = join(h.inbox, 'a.wav');
  await writeFile(p, 'first');
  await h.scanner.scanOnce();
  await sleep(SETTLE - 80);
  // same size, new inode: a PBX writing to a temp name and renaming over the old file
  await writeFile(join(h.inbox, 'a.tmp'), 'other');
  await rename(join(h.inbox, 'a.tmp'), p);
  await h.scanner.scanOnce();
  await sleep(110); // first sighting is past settle, the replacement is not
  await h.scanner.scanOnce();
  assert.equal(h.ready.length, 0);
  await sleep(SETTLE);
  await h.scanner.scanOnce();
  assert.equal(h.ready.length, 1);
});

test('scanner_releaseAndForget_emitAgainOnlyWhenDue', async () => {
  const h = await harness();
  const p = join(h.inbox, 'a.wav');
  await writeFile(p, 'one');
  await settleScans(h.scanner);
  assert.equal(h.ready.length, 1);

  // in flight: not emitted again, even once changed
  await writeFile(p, 'one-changed');
  await settleScans(h.scanner);
  assert.equal(h.ready.length, 1);

  // released: the changed content is new and (already settled) goes out at once
  h.scanner.release(p);
  await h.scanner.scanOnce();
  assert.equal(h.ready.length, 2);
  assert.equal(h.ready[1]?.size, 11);

  // released and unchanged: stays put (a "keep" disposition must not loop)
  h.scanner.release(p);
  await settleScans(h.scanner);
  assert.equal(h.ready.length, 2);

  // same name, new content after release: emitted again once settled
  const fh = await open(p, 'w');
  await fh.write('two, longer');
  await fh.close();
  await h.scanner.scanOnce();
  assert.equal(h.ready.length, 2, 'not before the new content settled');
  await sleep(SETTLE + 30);
  await h.scanner.scanOnce();
  assert.equal(h.ready.length, 3);

  // forget: a retry of the unchanged file
  h.scanner.forget(p);
  await h.scanner.scanOnce();
  assert.equal(h.ready.length, 4);
});

test('scanner_deletedThenRecreated_isNew', async () => {
  const h = await harness();
  const p = join(h.inbox, 'a.wav');
  await writeFile(p, 'one');
  await settleScans(h.scanner);
  h.scanner.release(p);
  await rm(p);
  await h.scanner.scanOnce();
  await writeFile(p, 'one');
  await settleScans(h.scanner);
  assert.equal(h.ready.length, 2);
});

test('scanner_concurrentScanOnce_neverOverlapAndEmitOnce', async () => {
  const h = await harness();
  await writeFile(join(h.inbox, 'a.wav'), 'x');
  await h.scanner.scanOnce();
  await sleep(SETTLE + 30);
  await Promise.all([h.scanner.scanOnce(), h.scanner.scanOnce(), h.scanner.scanOnce()]);
  assert.equal(h.ready.length, 1);
});

test('scanner_missingInbox_reportedOnceNotThrown', async () => {
  const h = await harness();
  await rm(h.inbox, { recursive: true });
  await h.scanner.scanOnce();
  await h.scanner.scanOnce();
  assert.equal(h.errors.length, 1);
  assert.equal(h.errors[0]?.code, 'E_IO');
});

test('scanner_inboxGoneForAMoment_keepsItsMarks', async () => {
  const h = await harness();
  await writeFile(join(h.inbox, 'a.wav'), 'x');
  await writeFile(join(h.inbox, 'b.txt'), 'x');
  await settleScans(h.scanner);
  h.scanner.release(join(h.inbox, 'a.wav'));
  assert.equal(h.ready.length, 1);
  assert.equal(h.rejected.length, 1);
  // an SMB mount dropping out looks like this: the folder is not there for a scan
  await rename(h.inbox, `${h.inbox}-away`);
  await h.scanner.scanOnce();
  await rename(`${h.inbox}-away`, h.inbox);
  await settleScans(h.scanner);
  assert.equal(h.ready.length, 1, 'a released, unchanged file is not emitted again');
  assert.equal(h.rejected.length, 1, 'a rejection is not reported again');
  assert.equal(h.errors.length, 1);
});

test('scanner_isBusy_holdsFileBack', async () => {
  let busy = true;
  const h = await harness({ isBusy: () => busy });
  await writeFile(join(h.inbox, 'a.wav'), 'x');
  await settleScans(h.scanner);
  assert.equal(h.ready.length, 0);
  busy = false;
  await h.scanner.scanOnce();
  assert.equal(h.ready.length, 1);
});

test('scanner_stop_stopsTimers', async () => {
  const h = await harness({ intervalMs: 50 });
  h.scanner.start();
  await sleep(30);
  await h.scanner.stop();
  await writeFile(join(h.inbox, 'late.wav'), 'x');
  await sleep(SETTLE + 150);
  assert.equal(h.ready.length, 0, 'no scans after stop');
});

test('scanner_stop_letsTheProcessExit', { timeout: 15_000 }, async () => {
  const h = await harness();
  const script = join(h.root, 'stop.mts'); // .mts: ESM outside the repo's package.json
  const scannerUrl = new URL('../src/ingest/scanner.ts', import.meta.url).href;
  await writeFile(script, `
    import { createScanner } from ${JSON.stringify(scannerUrl)};
    const s = createScanner({ inbox: ${JSON.stringify(h.inbox)}, settleMs: 200, intervalMs: 50, maxBytes: 1e6,
      onReady() {}, onRejected() {} });
    s.start();
    await new Promise((r) => setTimeout(r, 150));
    await s.stop();
    console.log('stopped');
  `);
  const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: repo, timeout: 12_000, encoding: 'utf8' });
  assert.equal(r.signal, null, 'the process had to be killed: something kept it alive');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'stopped');
});

test('scanner_backlog_is_emitted_oldest_first_whatever_the_names', async () => {
  const { inbox, scanner, ready } = await harness();
  const { utimes } = await import('node:fs/promises');
  // names sort the other way round from the call times
  const names = ['c.wav', 'b.wav', 'a.wav', 'd/z.wav'];
  await mkdir(join(inbox, 'd'));
  for (const [i, n] of names.entries()) {
    await writeFile(join(inbox, n), 'RIFF');
    const t = new Date(Date.UTC(2026, 10, 27, 9, 0, i));
    await utimes(join(inbox, n), t, t);
  }
  await settleScans(scanner);
  assert.deepEqual(ready.map((f) => f.relPath), names);
});

test('scanner_sees_a_file_dropped_while_its_first_scan_runs_without_waiting_for_the_next_period', async () => {
  // A long period: only fs.watch hints can find the file in time. The PBX creates the
  // day's folder and the call in it right as the service starts (nested folders are
  // what the first scan cannot know about yet).
  const { inbox, scanner, ready } = await harness({ intervalMs: 60_000 });
  for (let i = 0; i < 30; i++) await mkdir(join(inbox, 'old', String(i)), { recursive: true }); // a slower first walk
  scanner.start();
  try {
    await mkdir(join(inbox, '2026', '11', '29'), { recursive: true });
    await writeFile(join(inbox, '2026', '11', '29', 'first.wav'), 'RIFF');
    await waitFor(() => ready.length === 1, 5_000);
    assert.equal(ready[0]!.relPath, '2026/11/29/first.wav');
  } finally {
    await scanner.stop();
  }
});
