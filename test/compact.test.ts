import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSite, type Site } from '../src/site/open.ts';
import { fsck } from '../src/site/fsck.ts';
import { openArchive, recoverSegments, type Archive, type SegmentRow } from '../src/archive/index.ts';
import { compactArchive, FAULT_POINTS } from '../src/archive/compact.ts';
import { createAccess, type Access } from '../src/access/index.ts';
import { cliPrincipal } from '../src/auth/index.ts';
import { createIngest } from '../src/ingest/pipeline.ts';
import { ingestGates } from '../src/site/wire.ts';
import { createMedia, resolveFfmpeg, type Media } from '../src/media/index.ts';
import { dropRecording, getRecording } from '../src/store/index.ts';
import type { Config } from '../src/config/index.ts';
import { cli, testConfig } from './helpers/site.ts';
import { makeAudio } from './helpers/audio.ts';
import type { PurgedRow } from '../src/store/index.ts';

// Compaction on a real archive with real audio: purged records are dead bytes; compaction
// copies the live ones into a new segment and deletes the old file, the audio of the
// survivors stays byte for byte, fsck and the log stay clean, and a SIGKILL at any step
// of `tresor compact` loses nothing.

const P = cliPrincipal('cli:test');
let media: Media;
let seed = 1;

interface Opened {
  config: Config;
  site: Site;
  archive: Archive;
  access: Access;
  ingestCall(n: number, seconds?: number): Promise<string>;
  close(): Promise<void>;
}

function nameOf(n: number): string {
  return `in-4930123456-0151${20000000 + n}-20250301-101500-17642500${String(n).padStart(2, '0')}.${n}.wav`;
}

async function openAll(config: Config): Promise<Opened> {
  const site = openSite(config, { create: true });
  const archive = openArchive(config.dataDir, site.store);
  const access = createAccess({ store: site.store, keys: site.keys, archive, log: site.log });
  const ingest = createIngest({ config: { ...config, ingest: { ...config.ingest, disposition: 'keep' } }, store: site.store, keys: site.keys, archive, log: site.log, media, gates: ingestGates(config, site) });
  const work = mkdtempSync(join(tmpdir(), 'tresor-calls-'));
  return {
    config, site, archive, access,
    async ingestCall(n, seconds = 4) {
      // noise with its own seed: a tone of the same length is the same bytes, i.e. a duplicate
      const path = await makeAudio(work, nameOf(n), { format: 'wav-pcm8k', seconds, source: 'noise', seed: seed++ });
      const o = await ingest.ingestFile({ path, relPath: nameOf(n), sidecarPath: null });
      if (o.status !== 'archived') throw new Error(`ingest ${n}: ${JSON.stringify(o)}`);
      return o.id;
    },
    async close() {
      await archive.close();
      await site.close();
    },
  };
}

/** What a purge does to the index, in one transaction (src/retention/purge.ts). */
async function shred(site: Site, ids: string[]): Promise<void> {
  await site.store.tx(() => {
    for (const id of ids) {
      const row = getRecording(site.store, id)!;
      site.store.keys.remove(id);
      dropRecording(site.store, row);
      site.store.purged.put(oldTombstone(id));
    }
  });
}

function archiveBytes(config: Config): number {
  const dir = join(config.dataDir, 'archive');
  return readdirSync(dir).filter((f) => f.endsWith('.tsa')).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

async function audioOf(o: Opened, ids: string[]): Promise<Map<string, Buffer>> {
  const m = new Map<string, Buffer>();
  for (const id of ids) m.set(id, (await o.access.readAudio(P, id, 'recording.exported')).audio);
  return m;
}

async function assertClean(o: Opened, expected: string[] = []): Promise<void> {
  const r = await fsck(o.site, o.archive);
  assert.deepEqual(r.problems, expected);
  const v = await o.site.log.verifyAll();
  assert.deepEqual(v.problems, []);
}

/** A site with 6 calls in one closed segment, 4 of them shredded. */
async function baseSite(): Promise<{ config: Config; live: string[]; dead: string[]; audio: Map<string, Buffer> }> {
  const config = testConfig();
  const o = await openAll(config);
  const ids: string[] = [];
  for (let i = 1; i <= 6; i++) ids.push(await o.ingestCall(i, 3 + i));
  const live = [ids[1]!, ids[4]!];
  const dead = ids.filter((id) => !live.includes(id));
  const audio = await audioOf(o, live);
  await shred(o.site, dead);
  await o.close(); // closes the segment: only closed segments are compacted
  return { config, live, dead, audio };
}

function copySite(config: Config): Config {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-copy-'));
  const r = spawnSync('cp', ['-a', join(config.dataDir), join(dir, 'data')]);
  assert.equal(r.status, 0, String(r.stderr));
  return { ...config, dataDir: join(dir, 'data'), inbox: config.inbox };
}

describe('archive compaction', () => {
  before(async () => {
    media = createMedia(await resolveFfmpeg(testConfig().ffmpeg), { timeoutMs: 60_000, stallMs: 20_000 });
  });

  let base: Awaited<ReturnType<typeof baseSite>>;
  /** fsck of the purged, not yet compacted archive: the dead records are gaps it reports */
  let deadGaps: string[];
  before(async () => {
    base = await baseSite();
    const o = await openAll(copySite(base.config));
    deadGaps = (await fsck(o.site, o.archive)).problems;
    await o.close();
    assert.equal(deadGaps.length, 3, 'the 4 shredded records: one gap before, two between the live ones');
    for (const p of deadGaps) assert.match(p, /orphan bytes/);
  });

  it('compact_shrinks_segments_keeps_live_audio_byte_identical_and_fsck_clean', async () => {
    const config = copySite(base.config);
    const o = await openAll(config);
    after(() => o.close());
    const before = archiveBytes(config);
    const segsBefore = [...o.site.store.segments.getKeys()];
    assert.equal(segsBefore.length, 1);
    const phases: string[] = [];
    const r = await compactArchive({ dataDir: config.dataDir, store: o.site.store, log: o.site.log, actor: 'cli:test', onProgress: (p) => phases.push(p.phase) });
    assert.equal(r.segments, 1);
    assert.equal(r.newSegments, 1);
    assert.equal(r.recordsMoved, 2);
    assert.equal(r.recordsRaced, 0);
    assert.equal(r.bytesBefore, before);
    const afterBytes = archiveBytes(config);
    assert.equal(afterBytes, r.bytesAfter);
    const liveLen = base.live.reduce((s, id) => s + getRecording(o.site.store, id)!.length, 0);
    assert.equal(afterBytes, 16 + liveLen, 'the new segment holds exactly the live records');
    assert.ok(afterBytes < before * 0.6, `${afterBytes} < 0.6 × ${before}`);
    assert.ok(phases.includes('copy') && phases.includes('verify') && phases.includes('commit'));
    // the old file is gone, the index knows only the new segment
    const segs = [...o.site.store.segments.getRange()].map((e) => e.value as SegmentRow);
    assert.equal(segs.length, 1);
    assert.notEqual(segs[0]!.name, segsBefore[0]);
    assert.deepEqual(readdirSync(join(config.dataDir, 'archive')), [segs[0]!.name]);
    assert.equal(segs[0]!.state, 'closed');
    assert.equal(segs[0]!.records, 2);
    for (const id of base.live) assert.equal(getRecording(o.site.store, id)!.segment, segs[0]!.name);
    // audio byte-identical, purged stay purged
    const now = await audioOf(o, base.live);
    for (const id of base.live) assert.ok(now.get(id)!.equals(base.audio.get(id)!), id);
    for (const id of base.dead) assert.equal(getRecording(o.site.store, id), undefined);
    await assertClean(o);
    // the log says what happened, without personal data (names of segments, counts)
    const entries = o.site.log.entries(0, o.site.log.size()).filter((e) => e.action === 'archive.compacted');
    assert.equal(entries.length, 1);
    assert.deepEqual(entries[0]!.detail, { segments: segsBefore, into: segs[0]!.name, bytesBefore: before, bytesAfter: afterBytes, recordsMoved: 2, recordsRaced: 0 });
    // nothing more to do
    const again = await compactArchive({ dataDir: config.dataDir, store: o.site.store, log: o.site.log, actor: 'cli:test' });
    assert.equal(again.segments, 0);
  });

  it('compact_leaves_segments_below_the_dead_ratio_and_the_open_segment_alone', async () => {
    const config = copySite(base.config);
    const o = await openAll(config);
    after(() => o.close());
    const before = archiveBytes(config);
    const r = await compactArchive({ dataDir: config.dataDir, store: o.site.store, log: o.site.log, actor: 'cli:test', minDeadRatio: 0.95 });
    assert.equal(r.segments, 0);
    assert.equal(archiveBytes(config), before);
    // a segment this process is appending to (state open) is never compacted
    const id = await o.ingestCall(20, 3);
    await shred(o.site, [id]);
    const r2 = await compactArchive({ dataDir: config.dataDir, store: o.site.store, log: o.site.log, actor: 'cli:test', minDeadRatio: 0 });
    assert.equal(r2.segments, 1, 'only the closed one');
    const open = [...o.site.store.segments.getRange()].map((e) => e.value as SegmentRow).filter((s) => s.state === 'open');
    assert.equal(open.length, 1);
    assert.ok(statSync(join(config.dataDir, 'archive', open[0]!.name)).size > 16);
  });

  it('compact_runs_beside_appends_and_a_purge_during_the_copy_is_not_resurrected', async () => {
    const config = copySite(base.config);
    const o = await openAll(config);
    // one more live recording in the old segment would be nice, but it is closed; shred
    // one of the two live ones while the copy runs instead (a purge racing the compaction)
    const victim = base.live[0]!;
    const keep = base.live[1]!;
    let shredded = false;
    const ingesting = Promise.all([o.ingestCall(30, 5), o.ingestCall(31, 6)]);
    const r = await compactArchive({
      dataDir: config.dataDir, store: o.site.store, log: o.site.log, actor: 'cli:test',
      fault: (p) => {
        if (p === 'written' && !shredded) {
          shredded = true;
          // runs synchronously at the fault point; the commit then finds the row gone
          o.site.store.root.transactionSync(() => {
            const row = getRecording(o.site.store, victim)!;
            o.site.store.keys.remove(victim);
            dropRecording(o.site.store, row);
          });
        }
      },
    });
    const newIds = await ingesting;
    assert.equal(r.recordsMoved, 1);
    assert.equal(r.recordsRaced, 1);
    assert.equal(getRecording(o.site.store, victim), undefined, 'a purged row is never written back');
    const a = await audioOf(o, [keep, ...newIds]);
    assert.ok(a.get(keep)!.equals(base.audio.get(keep)!));
    // the raced copy is a dead record in the new segment: fsck sees exactly that gap,
    // and the next compaction removes it
    const f = await fsck(o.site, o.archive);
    assert.equal(f.problems.length, 1, f.problems.join('\n'));
    assert.match(f.problems[0]!, /orphan bytes/);
    await o.close(); // the appends' segment gets closed as well
    const o2 = await openAll(config);
    after(() => o2.close());
    const r2 = await compactArchive({ dataDir: config.dataDir, store: o2.site.store, log: o2.site.log, actor: 'cli:test' });
    assert.equal(r2.segments, 1);
    assert.equal(r2.recordsMoved, 1);
    await assertClean(o2);
    const a2 = await audioOf(o2, [keep, ...newIds]);
    for (const [id, buf] of a) assert.ok(a2.get(id)!.equals(buf), id);
  });

  it('compact_cli_refuses_while_another_process_has_the_index_open', async () => {
    const config = copySite(base.config);
    const o = await openAll(config);
    try {
      const r = await cli(config, ['compact']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`process\\(es\\) ${process.pid} have its index open`));
      assert.match(r.stderr, /Stop the service first/);
    } finally {
      await o.close();
    }
  });

  for (const point of FAULT_POINTS) {
    it(`compact_cli_killed_at_${point}_loses_nothing_and_the_next_start_is_clean`, async () => {
      const config = copySite(base.config);
      const before = archiveBytes(config);
      const r = await cli(config, ['compact'], { env: { TRESOR_TEST_FAULT: `compact:${point}` } });
      assert.equal(r.signal, 'SIGKILL', `${r.code} ${r.stderr}`);
      // next start: recovery (as the service runs it), then everything reads and checks
      const o = await openAll(config);
      try {
        recoverSegments(config.dataDir, o.site.store);
        const a = await audioOf(o, base.live);
        for (const id of base.live) assert.ok(a.get(id)!.equals(base.audio.get(id)!), `${point}: ${id}`);
        const done = point === 'committed' || point === 'unlinked';
        // clean, or (not yet compacted) exactly the purged gaps that were there before
        await assertClean(o, done ? [] : deadGaps);
        assert.equal(archiveBytes(config) < before, done, `${point}: compaction ${done ? 'took effect' : 'did not take effect'}`);
      } finally {
        await o.close();
      }
      // and compaction then completes
      const again = await cli(config, ['compact']);
      assert.equal(again.code, 0, again.stderr);
      const o2 = await openAll(config);
      try {
        await assertClean(o2);
        const a = await audioOf(o2, base.live);
        for (const id of base.live) assert.ok(a.get(id)!.equals(base.audio.get(id)!), `${point} (again): ${id}`);
        const live = base.live.reduce((s, id) => s + getRecording(o2.site.store, id)!.length, 0);
        assert.equal(archiveBytes(config), 16 + live);
      } finally {
        await o2.close();
      }
    });
  }

  it('compact_cli_killed_before_recovery_then_compact_again_cleans_up_itself', async () => {
    // no service start in between: `tresor compact` finds the leftovers itself
    const config = copySite(base.config);
    const r = await cli(config, ['compact'], { env: { TRESOR_TEST_FAULT: 'compact:written' } });
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(readdirSync(join(config.dataDir, 'archive')).length, 2, 'old segment + the dead copy');
    const again = await cli(config, ['compact', '--min-dead', '0.5']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /compacted 1 segment\(s\) into 1/);
    assert.match(again.stdout, /index compacted \(free pages dropped\): \d+ → \d+ pages/, 'the index is compacted too');
    assert.match(again.stderr, /compact: (copy|verify|commit)/);
    assert.equal(readdirSync(join(config.dataDir, 'archive')).length, 1);
    const fsckOut = await cli(config, ['fsck']);
    assert.equal(fsckOut.code, 0, fsckOut.stdout);
    assert.match(fsckOut.stdout, /clean/);
    const bad = await cli(config, ['compact', '--min-dead', '2']);
    assert.equal(bad.code, 2);
  });
});

/** A tombstone as an early version wrote it: no span of the dead bytes (fsck reports them as orphans). */
function oldTombstone(id: string): PurgedRow {
  return { id, purgedAt: Date.now(), policy: 'test', runId: 'test' } as unknown as PurgedRow;
}
