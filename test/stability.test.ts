// The stability tracker alone (src/ingest/stability.ts): fake stats and a fake clock, so
// each case of its docstring is checked exactly, without timing. test/scanner.test.ts
// drives the same cases through real files and real time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyName } from '../src/ingest/filter.ts';
import { createStability, type EntryStat, type Observed, type StabilityOptions } from '../src/ingest/stability.ts';

const INBOX = '/inbox';
const SETTLE = 200;
const INTERVAL = 1000;

type Kind = 'file' | 'symlink' | 'fifo' | 'socket' | 'device';

function stat(o: { ino?: number; size?: number; mtimeMs?: number; nlink?: number; type?: Kind } = {}): EntryStat {
  const type = o.type ?? 'file';
  return {
    dev: 1, ino: o.ino ?? 1, size: o.size ?? 100, mtimeMs: o.mtimeMs ?? 1_000, nlink: o.nlink ?? 1,
    isFile: () => type === 'file',
    isSymbolicLink: () => type === 'symlink',
    isFIFO: () => type === 'fifo',
    isSocket: () => type === 'socket',
    isBlockDevice: () => false,
    isCharacterDevice: () => type === 'device',
  };
}

function seen(relPath: string, st: EntryStat = stat()): Observed {
  const path = `${INBOX}/${relPath}`;
  const name = relPath.slice(relPath.lastIndexOf('/') + 1);
  return { path, relPath, dir: path.slice(0, path.lastIndexOf('/')), name, kind: classifyName(name), st };
}

function tracker(o: Partial<StabilityOptions> = {}) {
  const s = createStability({ settleMs: SETTLE, intervalMs: INTERVAL, maxBytes: 1 << 20, ...o });
  /** one walk at `now`: what became ready and what was rejected (by relPath), and the next look */
  const at = (now: number, entries: Observed[], opts: { complete?: boolean; isBusy?: (p: string) => boolean } = {}) => {
    const d = s.decide(entries, opts.complete ?? true, now, opts.isBusy);
    return { ready: d.ready.map((f) => f.relPath), rejected: d.rejected.map((r) => `${r.relPath} ${r.code} ${r.type}`), next: d.nextScanInMs, d };
  };
  return { s, at };
}

test('stability_chunkedNetworkCopy_readyOnceAfterSizeAndMtimeStoodStillForTheSettleTime', () => {
  const { at } = tracker();
  const chunk = (size: number, mtimeMs: number) => [seen('call.wav', stat({ size, mtimeMs }))];
  assert.deepEqual(at(0, chunk(1000, 1)).ready, []);
  assert.deepEqual(at(150, chunk(2000, 2)).ready, [], 'it grew: the clock restarts');
  assert.deepEqual(at(300, chunk(2000, 3)).ready, [], 'same size, new mtime: still being written');
  const before = at(480, chunk(2000, 3));
  assert.deepEqual(before.ready, [], '180 ms of stillness is not enough');
  assert.equal(before.next, 25, 'looks again just past the deadline, not after the full interval');
  const done = at(500, chunk(2000, 3));
  assert.deepEqual(done.ready, ['call.wav']);
  assert.deepEqual({ size: done.d.ready[0]!.size, sidecar: done.d.ready[0]!.sidecarPath }, { size: 2000, sidecar: null });
  assert.deepEqual(at(900, chunk(2000, 3)).ready, [], 'emitted once while the pipeline has it');
  assert.equal(at(900, chunk(2000, 3)).next, INTERVAL, 'nothing pending: the periodic rescan');
});

test('stability_renameOverTheOldFile_newInodeRestartsTheClock', () => {
  const { at } = tracker();
  at(0, [seen('a.wav', stat({ ino: 1 }))]);
  assert.deepEqual(at(150, [seen('a.wav', stat({ ino: 2 }))]).ready, [], 'same size and mtime, another inode');
  assert.deepEqual(at(250, [seen('a.wav', stat({ ino: 2 }))]).ready, [], 'settled since the first sighting, not since the rename');
  assert.deepEqual(at(350, [seen('a.wav', stat({ ino: 2 }))]).ready, ['a.wav']);
});

test('stability_deletedAfterRelease_theSameNameLaterIsNew', () => {
  const { s, at } = tracker();
  at(0, [seen('a.wav')]);
  assert.deepEqual(at(200, [seen('a.wav')]).ready, ['a.wav']);
  s.release(`${INBOX}/a.wav`);
  at(300, []); // the pipeline moved it away; a complete walk sees it gone
  assert.deepEqual(at(400, [seen('a.wav')]).ready, [], 'a new file with the same stats: its own settle time');
  assert.deepEqual(at(600, [seen('a.wav')]).ready, ['a.wav']);
});

test('stability_inFlightFileGone_staysMarked_theSameBytesBackAreNotTakenTwice', () => {
  const { at } = tracker();
  at(0, [seen('a.wav')]);
  assert.deepEqual(at(200, [seen('a.wav')]).ready, ['a.wav']);
  at(300, []); // the pipeline has it (moved it, say) and has not released it yet
  assert.deepEqual(at(600, [seen('a.wav')]).ready, []);
});

test('stability_incompleteWalk_forgetsNothing', () => {
  const { s, at } = tracker();
  at(0, [seen('a.wav'), seen('b.txt')]);
  const first = at(200, [seen('a.wav'), seen('b.txt')]);
  assert.deepEqual([first.ready, first.rejected], [['a.wav'], ['b.txt E_UNSUPPORTED_FORMAT file']]);
  s.release(`${INBOX}/a.wav`);
  at(300, [], { complete: false }); // the SMB mount was gone for one walk
  const back = at(400, [seen('a.wav'), seen('b.txt')]);
  assert.deepEqual([back.ready, back.rejected], [[], []], 'no re-emit of a released file, no second report');
});

test('stability_lateSidecar_audioWaitsUntilItsSidecarSettled', () => {
  const { at } = tracker();
  at(0, [seen('call.wav')]);
  const arrived = at(150, [seen('call.wav'), seen('call.json', stat({ ino: 9, size: 10 }))]);
  assert.deepEqual(arrived.ready, []);
  const growing = at(250, [seen('call.wav'), seen('call.json', stat({ ino: 9, size: 20 }))]);
  assert.deepEqual(growing.ready, [], 'the audio has settled, its sidecar has not');
  assert.equal(growing.next, 205, 'looks again when the sidecar will have settled');
  const both = at(450, [seen('call.wav'), seen('call.json', stat({ ino: 9, size: 20 }))]);
  assert.deepEqual(both.ready, ['call.wav']);
  assert.equal(both.d.ready[0]!.sidecarPath, `${INBOX}/call.json`);
});

test('stability_sidecar_neverTakenAlone_andOnlyWithAudioOfTheSameFolderAndStem', () => {
  const { at } = tracker();
  const walk = [seen('orphan.json'), seen('2026/a.wav', stat({ ino: 2 })), seen('a.json', stat({ ino: 3 })), seen('2026/a.json', stat({ ino: 4 }))];
  at(0, walk);
  const d = at(200, walk);
  assert.deepEqual(d.ready, ['2026/a.wav']);
  assert.equal(d.d.ready[0]!.sidecarPath, `${INBOX}/2026/a.json`);
  assert.deepEqual(d.rejected, []);
});

test('stability_sidecarThatIsALinkOrHardLinked_refusesItsAudio', () => {
  const { at } = tracker();
  const walk = [
    seen('a.wav', stat({ ino: 1 })), seen('a.json', stat({ ino: 2, type: 'symlink' })),
    seen('b.wav', stat({ ino: 3 })), seen('b.json', stat({ ino: 4, nlink: 2 })),
  ];
  assert.deepEqual(at(0, walk).rejected, ['a.json E_NOT_REGULAR_FILE symlink'], 'the link itself at first sight');
  const d = at(200, walk);
  assert.deepEqual(d.ready, []);
  assert.deepEqual(d.rejected, ['a.wav E_SIDECAR_INVALID file', 'b.wav E_SIDECAR_INVALID file'], 'the audio once it settled');
});

test('stability_linksFifosSocketsDevices_rejectedAtFirstSightOnce', () => {
  const { at } = tracker();
  const walk = (['symlink', 'fifo', 'socket', 'device'] as const).map((type, i) => seen(`${type}.wav`, stat({ ino: 10 + i, type })));
  assert.deepEqual(at(0, walk).rejected, [
    'symlink.wav E_NOT_REGULAR_FILE symlink', 'fifo.wav E_NOT_REGULAR_FILE fifo', 'socket.wav E_NOT_REGULAR_FILE socket', 'device.wav E_NOT_REGULAR_FILE device',
  ].sort((a, b) => (a < b ? -1 : 1)));
  assert.deepEqual(at(500, walk).rejected, [], 'reported once, however often it is seen');
});

test('stability_hardLinkedOversizedOrNotAudio_rejectedOnlyOnceSettled_andAgainWhenTheContentChanges', () => {
  const { at } = tracker({ maxBytes: 100 });
  const walk = (bigSize: number) => [
    seen('linked.wav', stat({ ino: 1, nlink: 2 })), seen('big.wav', stat({ ino: 2, size: bigSize })), seen('notes.txt', stat({ ino: 3 })),
    seen('fits.wav', stat({ ino: 4, size: 100 })),
  ];
  assert.deepEqual(at(0, walk(101)).rejected, [], 'not before they settled (the copy may still be running)');
  const d = at(200, walk(101));
  assert.deepEqual(d.rejected.sort(), ['big.wav E_TOO_LARGE file', 'linked.wav E_NOT_REGULAR_FILE file', 'notes.txt E_UNSUPPORTED_FORMAT file']);
  assert.deepEqual(d.ready, ['fits.wav']);
  assert.deepEqual(at(300, walk(101)).rejected, []);
  at(400, walk(102));
  assert.deepEqual(at(600, walk(102)).rejected, ['big.wav E_TOO_LARGE file'], 'new size: a new rejection');
});

test('stability_releaseAndForget_readyAgainOnlyWhenChangedOrForgotten', () => {
  const { s, at } = tracker();
  const v1 = [seen('a.wav', stat({ size: 3, mtimeMs: 1 }))];
  const v2 = [seen('a.wav', stat({ size: 11, mtimeMs: 2 }))];
  at(0, v1);
  assert.deepEqual(at(200, v1).ready, ['a.wav']);
  at(250, v2);
  assert.deepEqual(at(500, v2).ready, [], 'in flight: not again, even when changed');
  s.release(`${INBOX}/a.wav`);
  assert.deepEqual(at(600, v2).ready, ['a.wav'], 'released: the changed content is new and has settled');
  s.release(`${INBOX}/a.wav`);
  assert.deepEqual(at(900, v2).ready, [], 'released and unchanged: stays put (a "keep" disposition must not loop)');
  s.forget(`${INBOX}/a.wav`);
  assert.deepEqual(at(950, v2).ready, ['a.wav'], 'forgotten: a retry of the unchanged file');
});

test('stability_isBusy_holdsTheFileBackUntilTheWriterLetsGo_andAThrowingVetoMeansBusy', () => {
  const { at } = tracker();
  const walk = [seen('a.wav')];
  at(0, walk);
  assert.deepEqual(at(200, walk, { isBusy: () => true }).ready, []);
  assert.deepEqual(at(300, walk, { isBusy: () => { throw new Error('no /proc'); } }).ready, []);
  const asked: string[] = [];
  assert.deepEqual(at(400, walk, { isBusy: (p) => (asked.push(p), false) }).ready, ['a.wav']);
  assert.deepEqual(asked, [`${INBOX}/a.wav`], 'asked only about a file that is otherwise ready');
});

test('stability_backlog_oldestFirstThenByPath_whateverTheListingOrder', () => {
  const { at } = tracker();
  const walk = [
    seen('c.wav', stat({ ino: 1, mtimeMs: 10 })), seen('b.wav', stat({ ino: 2, mtimeMs: 30 })),
    seen('d/z.wav', stat({ ino: 3, mtimeMs: 20 })), seen('a.wav', stat({ ino: 4, mtimeMs: 30 })),
  ];
  at(0, walk);
  assert.deepEqual(at(200, walk).ready, ['c.wav', 'd/z.wav', 'a.wav', 'b.wav']);
});

test('stability_settleZero_takesAFileAtFirstSight', () => {
  const { at } = tracker({ settleMs: 0 });
  assert.deepEqual(at(0, [seen('a.wav')]).ready, ['a.wav']);
});

test('stability_nextLook_neverSoonerThan10ms_neverLaterThanTheInterval', () => {
  const { at } = tracker();
  at(0, [seen('a.wav')]);
  assert.equal(at(199, [seen('a.wav')]).next, 10, '1 ms to go: not a busy loop');
  assert.equal(tracker().at(0, [seen('b.wav')]).next, SETTLE + 5, 'a fresh file: its full settle time, and a little');
  assert.equal(tracker().at(0, []).next, INTERVAL);
});
